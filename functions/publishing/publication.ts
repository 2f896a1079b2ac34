import type { ModelRecord } from '../registry/model-records';
import { relatedIdentifiersOf } from '../registry/model-views';
import { SCHOLARLY_KEYS, type ScholarlyMetadata } from '../contracts/scholarly-metadata';
import type { VersionRecord } from '../versions/version-records';
import type { PublishedVersion } from './datacite-metadata';

/**
 * A version's publication, one state machine on the version item, every move a conditional write:
 *
 *   (none) ──▶ publishing ──▶ published ──▶ withdrawn
 *                  │ ▲  └──────────────────────▲
 *                  ▼ │ (a new request retries)
 *            publish_failed
 *
 * `publishing` holds the DOI names from the start, so a retry registers the same DOIs and never
 * mints a second pair. Once `publishing`, the snapshot never changes: it is what the DOI describes.
 * Deleting a version whose publication is `publishing` or `published` withdraws it instead, in
 * the same write that ends the version (VersionStore.withdraw): its bytes go, the record stays
 * as a tombstone, and its DOI is hidden (DataCite `hide`: still resolving, out of search) with a
 * `Withdrawn` date, off the request path; `hiddenAt` says when the agency confirmed it.
 */
export type PublicationState = 'publishing' | 'published' | 'publish_failed' | 'withdrawn';

/** States in which the version's DOIs are, or may be, registered: the version is withdrawn rather than deleted. */
export const LIVE_PUBLICATION_STATES: readonly PublicationState[] = ['publishing', 'published'];

/** A publication whose DOI was asked for and never refused: it resolves, or may, so its name stays reserved. */
export const holdsDoi = (publication: Publication | undefined): boolean =>
  publication !== undefined && (publication.state !== 'publish_failed' || publication.doiRegistered === true);

export interface Publication {
  readonly state: PublicationState;
  /** The version's DOI: `<prefix>/mlhub.<name>/v<n>` (doi-provider.ts doiNames). */
  readonly doi: string;
  /** The model's concept DOI, which resolves to its latest published version. */
  readonly conceptDoi: string;
  /** ISO 8601. */
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly publishedAt?: string;
  /** Why registration failed, in the registration agency's words, while `publish_failed`. */
  readonly reason?: string;
  /**
   * A failed try got as far as registering the version DOI (hidden again since): a DOI the agency
   * holds, which resolves to this version, so its model's name stays reserved (holdsDoi).
   */
  readonly doiRegistered?: boolean;
  /** When the version was withdrawn (ISO 8601), and why, in its owner's words or MLHub's. */
  readonly withdrawnAt?: string;
  readonly withdrawalReason?: string;
  /** When the agency confirmed the withdrawn DOI hidden (or that it was never registered). */
  readonly hiddenAt?: string;
  /** Whether the agency held the DOI when it was withdrawn: false for one withdrawn before registration reached it. */
  readonly registered?: boolean;
  /** Why the agency refused to hide it, if it did (a refusal is not retried). */
  readonly hideFailure?: string;
  /** The metadata frozen at the request, beside the bundle's sha256 and size. */
  readonly snapshot: PublishedVersion;
}

/** What a version publishes: the model's metadata as it is now, frozen with the version's bundle digest. */
export function snapshotOf(model: ModelRecord, version: Pick<VersionRecord, 'version' | 'sha256' | 'size'>): PublishedVersion {
  const metadata: ScholarlyMetadata = {};
  for (const key of SCHOLARLY_KEYS) {
    if (model[key] !== undefined && model[key] !== null) (metadata as Record<string, unknown>)[key] = model[key];
  }
  const related = relatedIdentifiersOf(model);
  return {
    name: model.name,
    version: version.version,
    size: version.size,
    sha256: version.sha256,
    description: model.description ?? null,
    discipline: model.discipline ?? null,
    metadata: { ...metadata, ...(related.length > 0 ? { related_identifiers: related } : {}) },
  };
}
