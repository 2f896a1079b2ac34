import type { ModelRecord } from '../registry/model-records';
import type { VersionRecord } from '../versions/version-records';
import type * as citationEngine from './citation-engine';
import { CITATION_FORMATS, CITATION_STYLES, type CitationFormat, type CitationStyle } from './citation-formats';
import { citedWork, type CitationContext, type CitedWork } from './cited-work';
import { codemetaDocument } from './codemeta';
import { cslItem, noteOf } from './csl-item';
import { dataciteDocument } from './datacite-json';

/**
 * citation-js with MLHub's plugins and styles (citation-engine.ts), passed in rather than
 * imported: the cite function bundles it, while the functions that answer a model's URL load it
 * from beside their bundle only when a citation is asked for (CITATION_ENGINE_IMPORT in
 * lib/functions/handler-bundling.ts), so that their JSON answers never pay for it.
 */
export type CitationEngine = Pick<typeof citationEngine, 'formatBibliography' | 'formatBibtex' | 'formatCff' | 'formatItem'>;

export interface CitationRequest {
  readonly format: CitationFormat;
  /** For `text` and `html`; the others ignore it. */
  readonly style: CitationStyle;
}

/** A citation: its text, with its media type (Content-Type), and what it cites. */
export interface Citation {
  readonly body: string;
  readonly mediaType: string;
  readonly work: CitedWork;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/**
 * A bibliography entry, with the CSL note (a withdrawal, or that there is no DOI yet) after it:
 * the CSL styles show neither `status` nor `note` for software, and a reader must see both.
 */
function bibliography(engine: CitationEngine, work: CitedWork, style: CitationStyle, format: 'text' | 'html'): string {
  const item = cslItem(work);
  const entry = engine.formatBibliography(item, CITATION_STYLES[style], format);
  const note = noteOf(work);
  if (!note) return entry;
  if (format === 'text') return `${entry.trimEnd()} ${note}.\n`;
  const close = entry.lastIndexOf('</div>');
  return `${entry.slice(0, close)}  <div class="csl-note">${escapeHtml(note)}.</div>\n${entry.slice(close)}`;
}

/** CITATION.cff's `message`: how to cite, and what a reader must know first (a withdrawal, or no DOI yet). */
function cffMessage(work: CitedWork): string {
  const note = noteOf(work);
  const cite = 'If you use this model, please cite it using these metadata.';
  return note ? `${note}. ${cite}` : cite;
}

/** A cited work in one format. `versions` and `context` are what citedWork was given. */
export function renderCitation(work: CitedWork, request: CitationRequest, versions: readonly VersionRecord[], context: CitationContext, engine: CitationEngine): Citation {
  const mediaType = CITATION_FORMATS[request.format];
  const keywords = work.snapshot.metadata.keywords ?? [];
  const body = (() => {
    switch (request.format) {
      case 'bibtex': return engine.formatBibtex(cslItem(work));
      case 'biblatex':
      case 'ris':
        return engine.formatItem(cslItem(work), request.format, keywords);
      case 'cff': return engine.formatCff(cslItem(work), cffMessage(work), work.snapshot.metadata.license ?? undefined, keywords);
      // As doi.org answers CSL-JSON: the one item, with ORCID iDs on names as citation-js reads them.
      case 'csl-json': return json(cslItem(work));
      case 'datacite-json': return json(dataciteDocument(work, versions, context));
      case 'codemeta': return json(codemetaDocument(work));
      case 'text':
      case 'html':
        return bibliography(engine, work, request.style, request.format);
    }
  })();
  return { body, mediaType, work };
}

/**
 * The citation of a model, or of one of its versions, in any format: what GET /model/{name}/cite
 * answers, and what content negotiation on the model's and version's URLs can answer.
 *
 * @param model the model record, as the caller may see it
 * @param versions its versions as `GET /model/{name}` reads them (withdrawn ones included)
 * @param requested the version to cite; without one, the model (its concept DOI once published)
 * @param engine citation-engine.ts, as the caller loads it (CitationEngine)
 * @throws AppError 404 `version_not_found` for a requested version not among `versions`
 */
export function citeModel(model: ModelRecord, versions: readonly VersionRecord[], requested: number | undefined, request: CitationRequest, context: CitationContext, engine: CitationEngine): Citation {
  return renderCitation(citedWork(model, versions, requested, context), request, versions, context, engine);
}
