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
