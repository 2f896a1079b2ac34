import type { ExpectedRevision } from '../registry/model-store';

/**
 * Reads `If-Match` into the revisions an update may apply to. Absent: any (the seed's PUT sends
 * none). Weak or foreign tags can never match under RFC 9110's strong comparison, so a header
 * made only of them yields an empty list and the update fails with 412.
 */
export function expectedRevision(ifMatch: string | undefined): ExpectedRevision {
  if (ifMatch === undefined || ifMatch.trim() === '*') return 'any';
  const revisions = ifMatch
    .split(',')
    .map((tag) => /^"([1-9][0-9]{0,15})"$/.exec(tag.trim())?.[1])
    .filter((revision): revision is string => revision !== undefined)
    .map(Number);
  return revisions.length > 0 ? revisions : [];
}
