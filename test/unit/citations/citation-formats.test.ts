import { Cite } from '@citation-js/core';
import Ajv from 'ajv';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { citeModel as citeWith, type Citation } from '../../../functions/citations/citation';
import * as citationEngine from '../../../functions/citations/citation-engine';
import { CITATION_FORMATS, CITATION_FORMAT_NAMES, CITATION_STYLE_NAMES, type CitationFormat, type CitationStyle } from '../../../functions/citations/citation-formats';
import cffSchema from '../../fixtures/citation-cff-1.2.0.schema.json' with { type: 'json' };
import { CONTEXT, MODEL, UNPUBLISHED_VERSIONS, VERSIONS } from './citation-fixtures';

const citeModel = (...args: Parameters<typeof citeWith> extends [...infer Head, unknown] ? Head : never): Citation => citeWith(...args, citationEngine);

/*
 * Every format for the three kinds of citation: a published version (by its version DOI), a
 * withdrawn version (still cited, marked withdrawn), and a model published nowhere (by its URL,
 * with the access date). The expected values are written out by hand from the fixtures.
 */

interface Case {
  readonly label: string;
  readonly cite: (format: CitationFormat, style?: CitationStyle) => Citation;
  readonly doi: string | null;
  readonly url: string;
  readonly year: number;
  readonly version: string | null;
}

const CASES: readonly Case[] = [
  {
    label: 'a published version',
    cite: (format, style = 'apa') => citeModel(MODEL, VERSIONS, 2, { format, style }, CONTEXT),
    doi: '10.5072/mlhub.digits/v2', url: 'https://doi.org/10.5072/mlhub.digits/v2', year: 2025, version: '2',
  },
  {
    label: 'a withdrawn version',
    cite: (format, style = 'apa') => citeModel(MODEL, VERSIONS, 1, { format, style }, CONTEXT),
    doi: '10.5072/mlhub.digits/v1', url: 'https://doi.org/10.5072/mlhub.digits/v1', year: 2025, version: '1',
  },
  {
    label: 'an unpublished model',
    cite: (format, style = 'apa') => citeModel(MODEL, UNPUBLISHED_VERSIONS, undefined, { format, style }, CONTEXT),
    doi: null, url: 'https://hub.example.org/model/digits', year: 2026, version: null,
  },
];

const cffValidator = new Ajv({ allErrors: true }).compile(cffSchema);

describe.each(CASES)('citing $label', ({ cite, doi, url, year, version, label }) => {
  it('BibTeX parses back with citation-js to the same title, authors, year, DOI and version', () => {
    const citation = cite('bibtex');
    expect(citation.mediaType).toBe('application/x-bibtex; charset=utf-8');
    const [item] = new Cite(citation.body).data as Record<string, unknown>[];
    expect(item?.title).toBe('Digits MLP');
    expect(item?.author).toEqual([{ family: 'Lovelace', given: 'Ada' }, { family: 'Babbage', given: 'Charles' }]);
    expect((item?.issued as { 'date-parts': number[][] })['date-parts'][0]?.[0]).toBe(year);
    expect(item?.DOI).toBe(doi ?? undefined);
    expect(item?.URL).toBe(url);
    expect(item?.version).toBe(version ?? undefined);
  });

  it('BibLaTeX is a @software entry with the version, the ORCID iD as a biber annotation, and the licence-free fields', () => {
    const { body, mediaType } = cite('biblatex');
    expect(mediaType).toBe('application/x-bibtex; charset=utf-8');
    expect(body).toMatch(/^@software\{/);
    expect(body).toContain('author+an:orcid = {1="https://orcid.org/0000-0002-1825-0097"}');
    if (version) expect(body).toContain(`version = {${version}}`);
    const [item] = new Cite(body).data as Record<string, unknown>[];
    expect(item?.title).toBe('Digits MLP');
    expect(item?.DOI).toBe(doi ?? undefined);
  });

  it('RIS holds TY, AU, TI, PY, UR, and DO when there is a DOI', () => {
    const { body, mediaType } = cite('ris');
    expect(mediaType).toBe('application/x-research-info-systems; charset=utf-8');
    const fields = body.split(/\r?\n/).filter((line) => /^[A-Z][A-Z0-9] {2}- /.test(line)).map((line) => [line.slice(0, 2), line.slice(6)] as const);
    const values = (tag: string) => fields.filter(([name]) => name === tag).map(([, value]) => value);
    expect(values('TY')).toEqual(['COMP']);
    expect(values('AU')).toEqual(['Lovelace, Ada', 'Babbage, Charles']);
    expect(values('TI')).toEqual(['Digits MLP']);
    expect(values('PY')).toEqual([String(year)]);
    expect(values('UR')).toEqual([url]);
    expect(values('DO')).toEqual(doi ? [doi] : []);
    expect(values('KW')).toEqual(['digits', 'mlp']);
    expect(body.trimEnd().endsWith('ER  -')).toBe(true);
  });

  it('CITATION.cff validates against the CFF 1.2.0 JSON schema, with the ORCID iD, licence and DOI', () => {
    const { body, mediaType } = cite('cff');
    expect(mediaType).toBe('application/yaml; charset=utf-8');
    // JSON_SCHEMA: dates stay strings, as the CFF schema (and YAML 1.2's JSON schema) reads them.
    const cff = yaml.load(body, { schema: yaml.JSON_SCHEMA }) as Record<string, unknown>;
    expect(cffValidator(cff), JSON.stringify(cffValidator.errors)).toBe(true);
    expect(cff['cff-version']).toBe('1.2.0');
    expect(cff.license).toBe('MIT');
    expect((cff.authors as Record<string, unknown>[])[0]).toEqual({ 'family-names': 'Lovelace', 'given-names': 'Ada', orcid: 'https://orcid.org/0000-0002-1825-0097' });
    expect(cff.doi).toBe(doi ?? undefined);
    expect(cff.version).toBe(version ?? undefined);
    if (label === 'a withdrawn version') expect(cff.message).toMatch(/^Withdrawn on 2025-09-01: Trained on mislabelled data\./);
    if (label === 'an unpublished model') expect(cff.message).toMatch(/^No DOI yet: not published; accessed 2026-11-30\./);
  });

  it('CSL-JSON is one software item with the ORCID iD on its author', () => {
    const { body, mediaType } = cite('csl-json');
    expect(mediaType).toBe('application/vnd.citationstyles.csl+json');
    const item = JSON.parse(body) as Record<string, unknown>;
    expect(item).toMatchObject({ type: 'software', title: 'Digits MLP', publisher: 'MLHub Test', URL: url, license: 'MIT', keyword: 'digits, mlp' });
    expect((item.author as Record<string, unknown>[])[0]).toEqual({ family: 'Lovelace', given: 'Ada', ORCID: 'https://orcid.org/0000-0002-1825-0097' });
    expect(item.DOI).toBe(doi ?? undefined);
    expect(item.status).toBe(label === 'a withdrawn version' ? 'withdrawn' : undefined);
    expect(item.accessed).toEqual(label === 'an unpublished model' ? { 'date-parts': [[2026, 11, 30]] } : undefined);
  });

  it('DataCite JSON is the DOI record\'s attributes (doi null without one)', () => {
    const { body, mediaType } = cite('datacite-json');
    expect(mediaType).toBe('application/vnd.datacite.datacite+json');
    const record = JSON.parse(body) as Record<string, unknown>;
    expect(record.doi).toBe(doi);
    expect(record.publicationYear).toBe(year);
    expect(record.types).toEqual({ resourceTypeGeneral: 'Model', resourceType: 'Trained machine learning model' });
    expect(record.publisher).toEqual({ name: 'MLHub Test' });
    expect(record.version).toBe(version ?? undefined);
    const dates = record.dates as { dateType: string; dateInformation?: string }[];
    expect(dates.find((date) => date.dateType === 'Withdrawn')?.dateInformation).toBe(label === 'a withdrawn version' ? 'Trained on mislabelled data' : undefined);
  });

  it('CodeMeta is JSON-LD with the DOI as @id and the ORCID iD as the author\'s @id', () => {
    const { body, mediaType } = cite('codemeta');
    expect(mediaType).toBe('application/ld+json');
    const document = JSON.parse(body) as Record<string, unknown>;
    expect(document['@context']).toBe('https://w3id.org/codemeta/3.0');
    expect(document['@id']).toBe(url);
    expect((document.author as Record<string, unknown>[])[0]).toMatchObject({ '@id': 'https://orcid.org/0000-0002-1825-0097', givenName: 'Ada', familyName: 'Lovelace' });
    expect(document.license).toBe('https://spdx.org/licenses/MIT');
    expect(document.creativeWorkStatus).toBe(label === 'a withdrawn version' ? 'Withdrawn' : undefined);
  });

  it.each(CITATION_STYLE_NAMES.map((style) => [style]))('text and HTML in %s name the title, the first author and the URL', (style) => {
    const text = cite('text', style);
    const html = cite('html', style);
    expect(text.mediaType).toBe('text/plain; charset=utf-8');
    expect(html.mediaType).toBe('text/html; charset=utf-8');
    for (const { body } of [text, html]) {
      expect(body).toMatch(/Digits MLP/i);
      expect(body).toContain('Lovelace');
      expect(body).toContain(doi ?? url);
    }
    expect(html.body).toMatch(/^<div class="csl-bib-body">/);
    expect(text.body).not.toContain('<');
  });
});

describe('APA, as written by hand', () => {
  it('cites a published version by its version DOI', () => {
    expect(citeModel(MODEL, VERSIONS, 2, { format: 'text', style: 'apa' }, CONTEXT).body.trim())
      .toBe('Lovelace, A., & Babbage, C. (2025). Digits MLP (Version 2) [Trained machine learning model]. MLHub Test. https://doi.org/10.5072/mlhub.digits/v2');
  });

  it('cites the model by its concept DOI, without a version, in the year of its first version', () => {
    expect(citeModel(MODEL, VERSIONS, undefined, { format: 'text', style: 'apa' }, CONTEXT).body.trim())
      .toBe('Lovelace, A., & Babbage, C. (2025). Digits MLP [Trained machine learning model]. MLHub Test. https://doi.org/10.5072/mlhub.digits');
  });

  it('cites a withdrawn version, saying when and why it was withdrawn', () => {
    expect(citeModel(MODEL, VERSIONS, 1, { format: 'text', style: 'apa' }, CONTEXT).body.trim())
      .toBe('Lovelace, A., & Babbage, C. (2025). Digits MLP (Version 1) [Trained machine learning model]. MLHub Test. https://doi.org/10.5072/mlhub.digits/v1 Withdrawn on 2025-09-01: Trained on mislabelled data.');
  });

  it('cites an unpublished model by its URL, with the access date, saying it has no DOI yet', () => {
    expect(citeModel(MODEL, UNPUBLISHED_VERSIONS, undefined, { format: 'text', style: 'apa' }, CONTEXT).body.trim())
      .toBe('Lovelace, A., & Babbage, C. (2026). Digits MLP [Trained machine learning model]. MLHub Test. https://hub.example.org/model/digits No DOI yet: not published; accessed 2026-11-30.');
  });

  it('cites an unpublished version of a published model by its own URL', () => {
    expect(citeModel(MODEL, VERSIONS, 3, { format: 'text', style: 'apa' }, CONTEXT).body.trim())
      .toBe('Lovelace, A., & Babbage, C. (2025). Digits MLP (Version 3) [Trained machine learning model]. MLHub Test. https://hub.example.org/model/digits/versions/3 No DOI yet: not published; accessed 2026-11-30.');
  });

  it('puts the withdrawal after the entry in HTML, escaped', () => {
    const withdrawn = VERSIONS.map((version) => (version.version === 1 && version.publication ? { ...version, publication: { ...version.publication, withdrawalReason: 'Labels <wrong> & late' } } : version));
    const { body } = citeModel(MODEL, withdrawn, 1, { format: 'html', style: 'apa' }, CONTEXT);
    expect(body).toContain('<div class="csl-note">Withdrawn on 2025-09-01: Labels &#60;wrong&#62; &#38; late.</div>\n</div>');
  });
});

describe('the other styles, as written by hand', () => {
  const published = (style: CitationStyle) => citeModel(MODEL, VERSIONS, 2, { format: 'text', style }, CONTEXT).body.trim();

  it('Chicago (author-date), from the style shipped in functions/citations/styles', () => {
    expect(published('chicago')).toBe('Lovelace, Ada, and Charles Babbage. 2025. “Digits MLP.” Trained machine learning model. MLHub Test. https://doi.org/10.5072/mlhub.digits/v2.');
  });

  it('IEEE, from the style shipped in functions/citations/styles', () => {
    expect(published('ieee')).toBe('[1] A. Lovelace and C. Babbage, “Digits MLP.” MLHub Test, May 02, 2025. doi: 10.5072/mlhub.digits/v2.');
  });
});

describe('what is cited', () => {
  it('refuses a version the model does not have', () => {
    expect(() => citeModel(MODEL, VERSIONS, 9, { format: 'bibtex', style: 'apa' }, CONTEXT)).toThrow(expect.objectContaining({ code: 'version_not_found' }));
  });

  it('gives each format its media type', () => {
    for (const format of CITATION_FORMAT_NAMES) expect(citeModel(MODEL, VERSIONS, 2, { format, style: 'apa' }, CONTEXT).mediaType).toBe(CITATION_FORMATS[format]);
  });

  it('names the model when it has no title and leaves out authors it does not have', () => {
    const bare = { ...MODEL, title: undefined, authors: undefined };
    const item = JSON.parse(citeModel(bare, UNPUBLISHED_VERSIONS, undefined, { format: 'csl-json', style: 'apa' }, CONTEXT).body) as Record<string, unknown>;
    expect(item.title).toBe('digits');
    expect(item.author).toBeUndefined();
  });
});

describe('metadata written to break the formats', () => {
  const HOSTILE = {
    ...MODEL,
    title: 'Tom <b> Jerry, x <sup>2 & <i>unclosed',
    description: `${'a'.repeat(64)}ER  - \nER  - \nTY  - JOUR\nTI  - Injected RIS`,
  };
  const cite = (format: CitationFormat) => citeModel(HOSTILE, UNPUBLISHED_VERSIONS, undefined, { format, style: 'apa' }, CONTEXT).body;

  it('writes markup-like text literally in BibTeX and BibLaTeX, which parse back to the same title', () => {
    for (const format of ['bibtex', 'biblatex'] as const) {
      const [item] = new Cite(cite(format)).data as Record<string, unknown>[];
      expect(item?.title, format).toBe(HOSTILE.title);
    }
  });

  it('keeps a RIS record one record, whatever newlines or tag-like text a value holds, and long values unwrapped', () => {
    const long = { ...HOSTILE, title: `A title well over seventy characters long, ${'so that plugin-ris would wrap it '.repeat(3)}mid-word` };
    const ris = citeModel(long, UNPUBLISHED_VERSIONS, undefined, { format: 'ris', style: 'apa' }, CONTEXT).body;
    const records = new Cite(ris).data as Record<string, unknown>[];
    expect(records).toHaveLength(1);
    expect(records[0]?.title).toBe(long.title);
    expect(ris.split('\n').filter((line) => line.startsWith('TY  - '))).toEqual(['TY  - COMP']);
    expect(ris.split('\n').find((line) => line.startsWith('AB  - '))).toBe(`AB  - ${'a'.repeat(64)}ER - ER - TY - JOUR TI - Injected RIS`);
    expect(ris.endsWith('ER  -\n') || ris.endsWith('ER  - \n')).toBe(true);
  });
});

describe('keywords with commas in them', () => {
  const KEYWORDS = { ...MODEL, keywords: ['images, handwritten', 'mnist', 'a{b}'] };
  const cite = (format: CitationFormat) => citeModel(KEYWORDS, UNPUBLISHED_VERSIONS, undefined, { format, style: 'apa' }, CONTEXT).body;

  it('stay one keyword each in RIS, CFF and BibLaTeX', () => {
    expect(cite('ris').split('\n').filter((line) => line.startsWith('KW  - '))).toEqual(['KW  - images, handwritten', 'KW  - mnist', 'KW  - a{b}']);
    expect(cite('ris').trimEnd().endsWith('ER  -')).toBe(true);
    expect((yaml.load(cite('cff')) as { keywords: unknown }).keywords).toEqual(KEYWORDS.keywords);
    const cff = yaml.load(cite('cff'), { schema: yaml.JSON_SCHEMA });
    expect(cffValidator(cff), JSON.stringify(cffValidator.errors)).toBe(true);
    // BibLaTeX's keywords field is split at commas outside braces.
    expect(cite('biblatex')).toContain('\tkeywords = {images{,} handwritten, mnist, a\\textbraceleft{}b\\textbraceright{}},\n');
    expect(cite('csl-json')).toContain('"keyword": "images, handwritten, mnist, a{b}"');
  });
});

describe('the date in BibTeX', () => {
  it('is the year and the month macro, as BibTeX has no day, and reads back to the same month', () => {
    const bibtex = citeModel(MODEL, VERSIONS, 2, { format: 'bibtex', style: 'apa' }, CONTEXT).body;
    expect(bibtex).toContain('\tyear = {2025},\n\tmonth = may,\n');
    const [item] = new Cite(bibtex).data as Record<string, unknown>[];
    expect(item?.issued).toEqual({ 'date-parts': [[2025, 5]] });
  });
});

describe('an organization as an author', () => {
  const ORGANIZATION = { ...MODEL, authors: [{ name: 'Google Research and DeepMind', name_type: 'Organizational' as const, role: 'creator' as const }, { name: 'Lovelace, Ada', role: 'creator' as const }] };
  const cite = (format: CitationFormat) => citeModel(ORGANIZATION, UNPUBLISHED_VERSIONS, undefined, { format, style: 'apa' }, CONTEXT).body;

  it('is named whole in every format, never split into family and given names', () => {
    const [item] = new Cite(cite('bibtex')).data as Record<string, unknown>[];
    expect(item?.author).toEqual([{ family: 'Google Research and DeepMind' }, { family: 'Lovelace', given: 'Ada' }]);
    expect(cite('ris').split('\n').filter((line) => line.startsWith('AU  - '))).toEqual(['AU  - Google Research and DeepMind', 'AU  - Lovelace, Ada']);
    expect((yaml.load(cite('cff')) as { authors: unknown[] }).authors[0]).toEqual({ name: 'Google Research and DeepMind' });
    expect(cite('text')).toMatch(/^Google Research and DeepMind, & Lovelace, A\. \(2026\)/);
    expect((JSON.parse(cite('datacite-json')) as { creators: { nameType: string }[] }).creators.map((creator) => creator.nameType)).toEqual(['Organizational', 'Personal']);
    expect((JSON.parse(cite('codemeta')) as { author: { '@type': string; givenName?: string }[] }).author.map((author) => [author['@type'], author.givenName])).toEqual([['Organization', undefined], ['Person', 'Ada']]);
  });
});

describe('an organization named to break BibTeX', () => {
  const NAMES = ['X}}, title = {Forged}, doi = {10.9999/forged}, note = {{', 'ACME Corp\\', 'A{B', 'A}B', 'Lab 100% #1 & $x_y ~^ <b>', '\\input{/etc/passwd}', 'Zoë Ünal Institute'];

  it.each(NAMES.map((name) => [name]))('keeps %j one author, read back whole, with the entry\'s own title and no forged DOI', (name) => {
    const model = { ...MODEL, authors: [{ name, name_type: 'Organizational' as const, role: 'creator' as const }] };
    for (const format of ['bibtex', 'biblatex'] as const) {
      const body = citeModel(model, UNPUBLISHED_VERSIONS, undefined, { format, style: 'apa' }, CONTEXT).body;
      const items = new Cite(body).data as Record<string, unknown>[];
      expect(items, format).toHaveLength(1);
      expect(items[0]?.author, format).toEqual([{ family: name }]);
      expect(items[0]?.title, format).toBe('Digits MLP');
      expect(items[0]?.DOI, format).toBeUndefined();
      expect(items[0]?.URL, format).toBe('https://hub.example.org/model/digits');
    }
  });
});

describe('related identifiers in CodeMeta', () => {
  it('are links a harvester can follow, whatever their type', () => {
    const related = {
      ...MODEL,
      related_identifiers: [
        { identifier: '10.1234/paper.5', identifier_type: 'DOI' as const, relation_type: 'IsDocumentedBy' as const },
        { identifier: '2101.00001', identifier_type: 'arXiv' as const, relation_type: 'IsDocumentedBy' as const },
        { identifier: `swh:1:dir:${'a'.repeat(40)}`, identifier_type: 'SWHID' as const, relation_type: 'IsCompiledBy' as const },
        { identifier: 'https://example.org/data', identifier_type: 'URL' as const, relation_type: 'IsDerivedFrom' as const },
      ],
    };
    const document = JSON.parse(citeModel(related, UNPUBLISHED_VERSIONS, undefined, { format: 'codemeta', style: 'apa' }, CONTEXT).body) as { relatedLink: string[] };
    expect(document.relatedLink).toEqual(['https://doi.org/10.1234/paper.5', 'https://arxiv.org/abs/2101.00001', `https://archive.softwareheritage.org/swh:1:dir:${'a'.repeat(40)}`, 'https://example.org/data']);
  });
});
