/**
 * The checks DataCite makes before a DOI may be registered or made findable, written from the
 * DataCite Metadata Schema 4.5 documentation ("Mandatory properties": Identifier, Creator,
 * Title, Publisher, PublicationYear, ResourceType; appendix 1, "Controlled list definitions":
 * resourceTypeGeneral) and the REST API guide (a registered or findable DOI needs its `url`).
 * No JSON schema for the REST attributes ships with DataCite, so this is the required-field
 * checker. Each problem is named as DataCite's 422 names it: `{ source, title }`.
 */

/** resourceTypeGeneral's controlled values, schema 4.5. */
export const RESOURCE_TYPES_GENERAL = [
  'Audiovisual', 'Award', 'Book', 'BookChapter', 'Collection', 'ComputationalNotebook', 'ConferencePaper',
  'ConferenceProceeding', 'DataPaper', 'Dataset', 'Dissertation', 'Event', 'Image', 'Instrument',
  'InteractiveResource', 'Journal', 'JournalArticle', 'Model', 'OutputManagementPlan', 'PeerReview',
  'PhysicalObject', 'Preprint', 'Project', 'Report', 'Service', 'Software', 'Sound', 'Standard',
  'StudyRegistration', 'Text', 'Workflow', 'Other',
] as const;

export interface SchemaProblem {
  /** The attribute at fault, as DataCite's error `source` gives it. */
  readonly source: string;
  readonly title: string;
}

const BLANK = "can't be blank";

const nonEmptyText = (value: unknown): boolean => typeof value === 'string' && value.trim() !== '';

/**
 * What keeps these JSON:API `attributes` from being registered or published: an empty list when
 * none. A draft needs none of them (DataCite keeps incomplete drafts).
 */
export function registrationProblems(attributes: Readonly<Record<string, unknown>>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const creators = attributes.creators;
  if (!Array.isArray(creators) || creators.length === 0 || creators.some((creator) => !nonEmptyText((creator as { name?: unknown })?.name))) {
    problems.push({ source: 'creators', title: BLANK });
  }
  const titles = attributes.titles;
  if (!Array.isArray(titles) || !titles.some((title) => nonEmptyText((title as { title?: unknown })?.title))) problems.push({ source: 'titles', title: BLANK });
  const publisher = attributes.publisher;
  if (!(nonEmptyText(publisher) || nonEmptyText((publisher as { name?: unknown } | undefined)?.name))) problems.push({ source: 'publisher', title: BLANK });
  const year = attributes.publicationYear;
  const yearNumber = typeof year === 'string' && /^\d{4}$/.test(year) ? Number(year) : year;
  if (typeof yearNumber !== 'number' || !Number.isInteger(yearNumber) || yearNumber < 1000 || yearNumber > 9999) {
    problems.push({ source: 'publicationYear', title: year === undefined ? BLANK : 'must be a year of four digits' });
  }
  const general = (attributes.types as { resourceTypeGeneral?: unknown } | undefined)?.resourceTypeGeneral;
  if (general === undefined) problems.push({ source: 'types', title: BLANK });
  else if (!(RESOURCE_TYPES_GENERAL as readonly unknown[]).includes(general)) {
    problems.push({ source: 'types', title: `resourceTypeGeneral '${String(general)}' is not one of ${RESOURCE_TYPES_GENERAL.join(', ')}` });
  }
  if (!nonEmptyText(attributes.url)) problems.push({ source: 'url', title: BLANK });
  return problems;
}
