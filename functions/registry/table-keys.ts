/** Key scheme of the model item collection: one partition per model. */

export const modelPartition = (name: string): string => `MODEL#${name}`;
export const META_SORT_KEY = 'META';
export const VERSION_SORT_PREFIX = 'VER#';

/** Zero-padded so that sort order equals numeric order. */
export const versionSortKey = (version: number): string => `${VERSION_SORT_PREFIX}${String(version).padStart(10, '0')}`;

export const UPLOAD_SORT_PREFIX = 'UPLOAD#';
export const uploadSortKey = (id: string): string => `${UPLOAD_SORT_PREFIX}${id}`;

/** The model's usage counters (functions/usage/): one item per model, beside its record. */
export const USAGE_SORT_KEY = 'USAGE';

export const GRANT_SORT_PREFIX = 'GRANT#';
export const grantSortKey = (user: string): string => `${GRANT_SORT_PREFIX}${user}`;
/** Grant items sit in the owner index under the grantee, so "shared with me" is one query. */
export const sharedPartition = (user: string): string => `SHARED#${user}`;

export const ownerPartition = (owner: string): string => `OWNER#${owner}`;
export const PUBLIC_PARTITION = 'PUBLIC';

/** Newest-first listings sort on creation time; the name breaks ties and keeps keys unique. */
export const listingSortKey = (createdAt: string, name: string): string => `${createdAt}#${name}`;

/**
 * Pending versions also sit in the owner index, under one partition ordered by expiry, so the
 * sweep finds the ones to finish or expire in one query; they leave it when they leave pending.
 */
export const PENDING_PARTITION = 'PENDING';
export const pendingSortKey = (expiresAt: string, name: string, version: number): string => `${expiresAt}#${name}#${versionSortKey(version)}`;

/** Models whose delete began sit in the owner index under this partition until it ends, so an interrupted delete is found and finished. */
export const DELETING_PARTITION = 'DELETING';

/**
 * Versions whose DOIs still await the registration agency (a publication `publishing`, or
 * `withdrawn` and not yet hidden) sit in the owner index under this partition, ordered by when
 * that work was asked for, so the sweep sends again what a crash or a lost message left undone.
 */
export const DOI_WORK_PARTITION = 'DOI_WORK';
export const doiWorkSortKey = (at: string, name: string, version: number): string => `${at}#${name}#${versionSortKey(version)}`;

