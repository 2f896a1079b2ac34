import { parse as parseName } from '@citation-js/name';
import type { CslItem } from '@citation-js/core';
import { isOrganization, type ScholarlyMetadata } from '../contracts/scholarly-metadata';
import type { CitedWork } from './cited-work';

/** DataCite's resourceType for a model version (datacite-metadata.ts): CSL's `genre`, which APA shows in brackets. */
export const RESOURCE_TYPE = 'Trained machine learning model';

/** What a citation of a work without a DOI says of it (CSL `note`). */
export const NO_DOI_NOTE = 'No DOI yet: not published';

type Author = NonNullable<ScholarlyMetadata['authors']>[number];

/** A CSL date from ISO 8601: year, month, day. */
export const cslDate = (iso: string) => ({ 'date-parts': [[Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10))]] });

/**
 * An author as a CSL name: the name split into family and given parts by citation-js's own name
 * parser (`Lovelace, Ada` and `Ada Lovelace` alike), and the ORCID iD as a URL in `ORCID`, the
 * field citation-js carries on names (CSL has none): plugin-cff writes it as `orcid`, and
 * plugin-bibtex's biblatex output as an `author+an:orcid` annotation.
 */
function cslName(author: Author): Record<string, string> {
  // An organization is named whole: a name parser would make "Google Research and DeepMind" a person.
  if (isOrganization(author)) return { literal: author.name };
  const parts = parseName(author.name);
  const name = parts.family ? parts : { literal: author.name };
  return { ...name, ...(author.orcid ? { ORCID: `https://orcid.org/${author.orcid}` } : {}) };
}

/**
 * What the note says: a withdrawal, or that there is no DOI yet and when the page was read (most
 * styles show neither CSL `status` nor `accessed` for software, and BibTeX has no field for either).
 */
export function noteOf(work: CitedWork): string | undefined {
  if (work.withdrawn) return `Withdrawn on ${work.withdrawn.date.slice(0, 10)}${work.withdrawn.reason ? `: ${work.withdrawn.reason}` : ''}`;
  if (work.kind === 'unpublished') return `${NO_DOI_NOTE}; accessed ${(work.accessed ?? work.issued).slice(0, 10)}`;
  return undefined;
}

/**
 * The CSL-JSON item of a cited work (CSL 1.0.2 variables), from which citation-js makes every
 * format but DataCite JSON and CodeMeta. Type `software`; authors are the creators (DataCite's
 * creators: authors with role `creator`); the title falls back to the model name; a withdrawn
 * version has `status` `withdrawn` and says so in `note`, as a work without a DOI says that.
 */
export function cslItem(work: CitedWork): CslItem {
  const { snapshot } = work;
  const { metadata } = snapshot;
  const creators = (metadata.authors ?? []).filter((author) => author.role === 'creator');
  const note = noteOf(work);
  return {
    // Short: RIS cuts its ID field at 20 characters.
    id: `${work.snapshot.name}${work.version !== undefined ? `-v${work.version}` : ''}`,
    type: 'software',
    genre: RESOURCE_TYPE,
    title: metadata.title ?? snapshot.name,
    ...(creators.length > 0 ? { author: creators.map(cslName) } : {}),
    issued: cslDate(work.issued),
    ...(work.version !== undefined ? { version: String(work.version) } : {}),
    publisher: work.publisher,
    ...(work.doi ? { DOI: work.doi } : {}),
    URL: work.url,
    ...(metadata.license ? { license: metadata.license } : {}),
    // CSL has one keyword string; the formats with a list of keywords get the list (citation-engine.ts).
    ...(metadata.keywords && metadata.keywords.length > 0 ? { keyword: metadata.keywords.join(', ') } : {}),
    ...(snapshot.description ? { abstract: snapshot.description } : {}),
    ...(work.accessed ? { accessed: cslDate(work.accessed) } : {}),
    ...(work.withdrawn ? { status: 'withdrawn' } : {}),
    ...(note ? { note } : {}),
  };
}
