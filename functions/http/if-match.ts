import { invalid } from '../errors/app-error';
import type { ExpectedRevision } from '../registry/model-store';

/** More tags than this is a 400: each becomes a DynamoDB condition operand (`IN` takes at most 100). */
export const MAX_IF_MATCH_TAGS = 50;

/** RFC 9110 §8.8.3: `entity-tag = [ weak ] opaque-tag`, `opaque-tag = DQUOTE *etagc DQUOTE`, etagc = %x21 / %x23-7E / obs-text. */
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/;
/** MLHub's ETags are the record's revision, a positive whole number, quoted: `"3"`. */
const REVISION = /^[1-9][0-9]{0,14}$/;

const malformed = (why: string) =>
  invalid('invalid_if_match', `If-Match ${why}; send * or a list of quoted entity tags, such as "3" from the ETag header (RFC 9110 §13.1.1)`);

/**
 * Reads `If-Match` (RFC 9110 §13.1.1) into the revisions an update may apply to:
 * - absent: `'any'` (the seed's PUT sends none); `*`: `'any'` existing record;
 * - a list of entity tags: the revisions named by its strong tags. The strong comparison that
 *   §13.1.1 requires never matches a weak tag (`W/"1"`), nor a strong tag MLHub never issues
 *   (`"abc"`, `"0"`); a list of only those is `[]`, and the update answers 412 Precondition
 *   Failed, as for any tag that does not match;
 * - 400 `invalid_if_match` when the field is not `"*" / #entity-tag` at all: a bare `1`, an
 *   unquoted or unterminated tag, `*` inside a list, or more than MAX_IF_MATCH_TAGS tags. Such a
 *   condition cannot be evaluated, and ignoring it would apply an update the client meant to be
 *   conditional.
 */
export function expectedRevision(ifMatch: string | undefined): ExpectedRevision {
  if (ifMatch === undefined) return 'any';
  const field = ifMatch.trim();
  if (field === '*') return 'any';
  const revisions = new Set<number>();
  let tags = 0;
  let rest = field;
  // RFC 9110 §5.6.1: list elements are separated by commas with optional whitespace, and empty elements are allowed.
  while (rest !== '') {
    rest = rest.replace(/^[ \t]*/, '');
    if (rest.startsWith(',')) {
      rest = rest.slice(1);
      continue;
    }
    if (rest.startsWith('*')) throw malformed("mixes * with entity tags (* stands alone)");
    const tag = ENTITY_TAG.exec(rest);
    if (!tag) throw malformed(`holds '${rest.slice(0, 20)}', which is not a quoted entity tag`);
    tags += 1;
    if (tags > MAX_IF_MATCH_TAGS) throw malformed(`lists more than ${MAX_IF_MATCH_TAGS} entity tags`);
    const opaque = tag[2] ?? '';
    if (tag[1] === undefined && REVISION.test(opaque)) revisions.add(Number(opaque));
    rest = rest.slice(tag[0].length).replace(/^[ \t]*/, '');
    if (rest !== '' && !rest.startsWith(',')) throw malformed(`has '${rest.slice(0, 20)}' after an entity tag, where a comma belongs`);
  }
  if (tags === 0) throw malformed('is empty');
  return [...revisions];
}
