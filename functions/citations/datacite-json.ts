import { dataciteAttributes } from '../publishing/datacite-metadata';
import { conceptDoiAttributes, versionDoiAttributes } from '../publishing/doi-attributes';
import type { VersionRecord } from '../versions/version-records';
import { landingUrl, type CitationContext, type CitedWork } from './cited-work';

/**
 * A cited work as DataCite JSON: the attributes of its DOI record (DataCite Metadata Schema 4.5),
 * made as the registration makes them (functions/publishing/doi-attributes.ts), so that they say
 * what the agency holds. A work without a DOI gets the attributes a DOI for it would have, with
 * `doi` null, the landing page as `url`, and, cited without a version, no version and no size.
 *
 * @param versions the model's versions, as citedWork read them (a concept DOI lists the ones that resolve)
 */
export function dataciteDocument(work: CitedWork, versions: readonly VersionRecord[], context: CitationContext): Record<string, unknown> {
  const record = { publisher: context.publisher, landingUrl: (name: string, version?: number) => landingUrl(context.landingBaseUrl, name, version) };
  if (work.kind === 'version') {
    const publication = versions.find((version) => version.version === work.version)?.publication;
    if (publication) return versionDoiAttributes(publication, record);
  }
  if (work.kind === 'concept') return conceptDoiAttributes(versions, record).attributes;
  const attributes = dataciteAttributes(work.snapshot, { doi: '', url: work.landingUrl, publisher: work.publisher, issued: work.issued });
  const { version: _version, sizes: _sizes, ...rest } = attributes;
  return { ...rest, doi: null, ...(work.version !== undefined ? { version: attributes.version, sizes: attributes.sizes } : {}) };
}
