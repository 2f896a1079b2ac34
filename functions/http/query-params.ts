import { invalid } from '../errors/app-error';
import type { RouteSpec } from '../routes/route-table';

const quoteList = (names: readonly string[]): string => names.map((name) => `'${name.slice(0, 60)}'`).join(', ');

/**
 * Refuses query parameters the route does not read (`query` in the route table) with a 400
 * naming them, so a typo such as `download?verison=99` is never answered as if it were absent.
 * A parameter that belongs to another route says where to send it (`misplacedQuery`).
 *
 * @param requested the route as the caller sent it (API Gateway's `routeKey`, `POST /model/{name}`),
 *   which differs from `route` when a request is handed on, as the seed's image form is
 */
export function checkQueryNames(route: RouteSpec, query: Readonly<Record<string, string | undefined>>, params: Readonly<Record<string, string | undefined>>, requested = `${route.method} ${route.path}`): void {
  const unknown = Object.keys(query).filter((name) => !route.query.includes(name));
  if (unknown.length === 0) return;
  const misplaced = unknown.find((name) => route.misplacedQuery?.[name] !== undefined);
  if (misplaced !== undefined) {
    const hint = (route.misplacedQuery?.[misplaced] ?? '')
      .replaceAll('{name}', encodeURIComponent(params.name ?? '{name}'))
      .replaceAll('{value}', encodeURIComponent((query[misplaced] ?? '').slice(0, 40)) || `{${misplaced}}`);
    throw invalid('unknown_query_parameter', `${requested} takes no '${misplaced}' query parameter. ${hint}`);
  }
  const accepted = route.query.length === 0 ? 'it takes none' : `it accepts ${quoteList(route.query)}`;
  throw invalid('unknown_query_parameter', `Unknown query parameter${unknown.length > 1 ? 's' : ''} ${quoteList(unknown)} for ${requested}; ${accepted}`);
}

/**
 * Refuses a query parameter given more than once (`?format=ris&format=bibtex`) with a 400 naming
 * it: every MLHub parameter takes one value, and API Gateway would join the repeats with commas
 * (`ris,bibtex`), which would then be refused as a value nobody sent.
 *
 * @param rawQueryString the query string as sent (API Gateway's `rawQueryString`, without `?`)
 */
export function checkQueryRepeats(rawQueryString: string | undefined): void {
  if (!rawQueryString) return;
  const counts = new Map<string, number>();
  for (const [name] of new URLSearchParams(rawQueryString)) counts.set(name, (counts.get(name) ?? 0) + 1);
  const repeated = [...counts].filter(([, count]) => count > 1).map(([name]) => name);
  if (repeated.length === 0) return;
  throw invalid('repeated_query_parameter', `Query parameter${repeated.length > 1 ? 's' : ''} ${quoteList(repeated)} ${repeated.length > 1 ? 'are' : 'is'} given more than once; give each once`);
}

/** A `%` not followed by two hex digits: URLSearchParams keeps it as a literal `%`, and so does this. */
const LONE_PERCENT = /%(?![0-9a-f]{2})/gi;

/** Whether a query string component's percent-escapes decode to UTF-8 (decodeURIComponent throws on any other bytes). */
function isUtf8Component(component: string): boolean {
  try {
    decodeURIComponent(component.replace(LONE_PERCENT, '%25'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses a query parameter whose percent-escapes are not UTF-8 (`?q=a%FFb`) with a 400
 * `invalid_<name>`: the parsed parameters hold U+FFFD in place of such bytes (URL's
 * percent-decoding, WHATWG URL §5.1), so without this a value nobody sent would be searched for,
 * matched or stored, as an invalid body is refused rather than stored as U+FFFD (`invalid_encoding`).
 * Run after checkQueryNames, so the name is one the route reads (and its `invalid_<name>` a code its
 * contract lists).
 *
 * @param rawQueryString the query string as sent (API Gateway's `rawQueryString`, without `?`)
 */
export function checkQueryEncoding(rawQueryString: string | undefined): void {
  if (!rawQueryString) return;
  for (const pair of rawQueryString.split('&')) {
    const split = pair.indexOf('=');
    const [rawName, rawValue] = split === -1 ? [pair, ''] : [pair.slice(0, split), pair.slice(split + 1)];
    if (isUtf8Component(rawName) && isUtf8Component(rawValue)) continue;
    const name = new URLSearchParams(`${rawName}=`).keys().next().value ?? '';
    throw invalid(`invalid_${name}`, `Query parameter ${quoteList([name])} holds percent-escapes that are not UTF-8 (${quoteList([pair.slice(0, 60)])}); encode its text as UTF-8`);
  }
}

/** Path identifiers other than the model name (upload and token ids) are ids MLHub issued, all far shorter. */
export const MAX_PATH_ID_BYTES = 256;

/**
 * Refuses an over-long identifier in the path with a 400 before it reaches a key: DynamoDB keys
 * hold at most 2048 (partition) or 1024 (sort) bytes, and a longer one is an error there, not
 * a "not found".
 */
export function checkPathIds(params: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(params)) {
    if (name === 'name' || value === undefined) continue;
    const size = Buffer.byteLength(value, 'utf8');
    if (size > MAX_PATH_ID_BYTES) throw invalid(`invalid_${name}`, `The ${name} in the path is ${size} bytes long; MLHub's ids are at most ${MAX_PATH_ID_BYTES}`);
  }
}
