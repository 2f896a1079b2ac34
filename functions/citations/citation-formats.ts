/**
 * The citation formats `GET /model/{name}/cite` answers in, each with its media type:
 * - `bibtex`, `biblatex`: `application/x-bibtex`, the type doi.org and Zenodo answer BibTeX with;
 *   BibLaTeX is a .bib file read by the same tools (biber), and has no type of its own.
 * - `ris`: `application/x-research-info-systems`, as doi.org answers.
 * - `csl-json`: `application/vnd.citationstyles.csl+json` (IANA), one CSL-JSON item as doi.org answers.
 * - `cff`: CITATION.cff 1.2.0, YAML: `application/yaml`, registered by RFC 9512 (2024) in place of
 *   the unregistered `application/x-yaml` and `text/yaml`.
 * - `datacite-json`: `application/vnd.datacite.datacite+json` (IANA), as doi.org answers.
 * - `codemeta`: codemeta.json, JSON-LD: `application/ld+json` (IANA).
 * - `text`, `html`: a bibliography entry in a CSL style (`style`), `text/plain` and `text/html`.
 * Text formats name their charset (UTF-8); JSON ones need none (RFC 8259 §11).
 */
export const CITATION_FORMATS = {
  bibtex: 'application/x-bibtex; charset=utf-8',
  biblatex: 'application/x-bibtex; charset=utf-8',
  ris: 'application/x-research-info-systems; charset=utf-8',
  'csl-json': 'application/vnd.citationstyles.csl+json',
  cff: 'application/yaml; charset=utf-8',
  'datacite-json': 'application/vnd.datacite.datacite+json',
  codemeta: 'application/ld+json',
  text: 'text/plain; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

export type CitationFormat = keyof typeof CITATION_FORMATS;

/**
 * The file a citation is saved as, for a model (`digits`) or one of its versions (`digits-v2`):
 * each format's usual extension, and the names CFF and CodeMeta files go by in a repository
 * (CITATION.cff, codemeta.json). Model names are letters, digits, `.`, `_` and `-`
 * (registry/model-name.ts), safe in a filename as they are.
 */
export function citationFilename(format: CitationFormat, name: string, version?: number): string {
  const base = version === undefined ? name : `${name}-v${version}`;
  switch (format) {
    case 'cff': return 'CITATION.cff';
    case 'codemeta': return 'codemeta.json';
    case 'bibtex':
    case 'biblatex': return `${base}.bib`;
    case 'ris': return `${base}.ris`;
    case 'csl-json': return `${base}.csl.json`;
    case 'datacite-json': return `${base}.datacite.json`;
    case 'text': return `${base}.txt`;
    case 'html': return `${base}.html`;
  }
}
export const CITATION_FORMAT_NAMES = Object.keys(CITATION_FORMATS) as CitationFormat[];
export const DEFAULT_CITATION_FORMAT: CitationFormat = 'bibtex';

/** The formats that take a `style`. */
export const STYLED_FORMATS: readonly CitationFormat[] = ['text', 'html'];

/**
 * The CSL styles `text` and `html` are formatted in, by the name the API takes, with the CSL
 * template citation-js knows it by (citation-engine.ts): APA 7th edition, Chicago 17th edition
 * (author-date), Harvard (Cite Them Right), Vancouver and IEEE.
 */
export const CITATION_STYLES = {
  apa: 'apa',
  chicago: 'chicago-author-date',
  harvard: 'harvard1',
  vancouver: 'vancouver',
  ieee: 'ieee',
} as const;

export type CitationStyle = keyof typeof CITATION_STYLES;
export const CITATION_STYLE_NAMES = Object.keys(CITATION_STYLES) as CitationStyle[];
export const DEFAULT_CITATION_STYLE: CitationStyle = 'apa';
