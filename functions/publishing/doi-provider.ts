import type { DoiRecord } from './datacite-client';

/**
 * Where MLHub registers DOIs: DataCite's REST API in the cloud (datacite-client.ts), a local
 * stand-in for `npm start`. Every operation is safe to repeat: a DOI is named before it is
 * registered (doiNames), and registering a name that exists updates it.
 */
export interface DoiProvider {
  /** Creates the DOI as a draft, or updates a draft of that name. */
  reserveDraft(doi: string, attributes: Record<string, unknown>): Promise<DoiRecord>;
  /** Updates a DOI's metadata, leaving its state as it is. */
  update(doi: string, attributes: Record<string, unknown>): Promise<DoiRecord>;
  /** Makes the DOI findable with these attributes, creating it if need be. */
  publish(doi: string, attributes: Record<string, unknown>): Promise<DoiRecord>;
  /** Findable → registered: it still resolves, and leaves search. */
  hide(doi: string, attributes: Record<string, unknown>): Promise<DoiRecord>;
  /** Only drafts can be deleted. */
  deleteDraft(doi: string): Promise<void>;
  /** The DOI as the agency holds it, or undefined if it has none of that name. */
  get(doi: string): Promise<DoiRecord | undefined>;
}

/**
 * The DOIs of a model, named from its name, so that a retry names the same DOI and never mints a
 * second (DataCite: `PUT /dois/{doi}` creates or updates): the concept DOI `<prefix>/mlhub.<name>`
 * and version n's `<prefix>/mlhub.<name>/v<n>`. A `/` never occurs in a model name, so no name's
 * concept DOI is another's version DOI. DOIs compare without case (DOI Handbook §2.4) while model
 * names do not, so each capital is written as `_` and its lowercase letter, and a `_` of the name
 * as `__`: `MNIST` and `mnist` get different DOIs, and the suffix keeps to the characters DataCite
 * recommends for suffixes (letters, digits, `-._;()/`).
 *
 * @param prefix the repository's DOI prefix, `10.` and 4 to 9 digits
 */
export function doiNames(prefix: string, name: string): { concept: string; version: (n: number) => string } {
  if (!/^10\.\d{4,9}$/.test(prefix)) throw new Error(`A DOI prefix is 10. and 4 to 9 digits, got '${prefix}'`);
  const concept = `${prefix}/mlhub.${name.replace(/[A-Z_]/g, (character) => (character === '_' ? '__' : `_${character.toLowerCase()}`))}`;
  return { concept, version: (n) => `${concept}/v${n}` };
}
