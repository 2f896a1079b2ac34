import { invalid } from '../errors/app-error';
import type { RouteSpec } from '../routes/route-table';

const quoteList = (names: readonly string[]): string => names.map((name) => `'${name.slice(0, 60)}'`).join(', ');

/**
 * Refuses query parameters the route does not read (`query` in the route table) with a 400
 * naming them, so a typo such as `download?verison=99` is never answered as if it were absent.
 * A parameter that belongs to another route says where to send it (`misplacedQuery`).
 */
export function checkQueryNames(route: RouteSpec, query: Readonly<Record<string, string | undefined>>, params: Readonly<Record<string, string | undefined>>): void {
  const unknown = Object.keys(query).filter((name) => !route.query.includes(name));
  if (unknown.length === 0) return;
  const misplaced = unknown.find((name) => route.misplacedQuery?.[name] !== undefined);
  if (misplaced !== undefined) {
    const hint = (route.misplacedQuery?.[misplaced] ?? '')
      .replaceAll('{name}', encodeURIComponent(params.name ?? '{name}'))
      .replaceAll('{value}', encodeURIComponent((query[misplaced] ?? '').slice(0, 40)) || `{${misplaced}}`);
    throw invalid('unknown_query_parameter', `${route.method} ${route.path} takes no '${misplaced}' query parameter. ${hint}`);
  }
  const accepted = route.query.length === 0 ? 'it takes none' : `it accepts ${quoteList(route.query)}`;
  throw invalid('unknown_query_parameter', `Unknown query parameter${unknown.length > 1 ? 's' : ''} ${quoteList(unknown)} for ${route.method} ${route.path}; ${accepted}`);
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

/** A positive integer query parameter, or undefined when absent. */
export function positiveIntegerParam(query: Readonly<Record<string, string | undefined>>, name: string, max: number): number | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(raw) || Number(raw) > max) {
    throw invalid(`invalid_${name}`, `Query parameter '${name}' must be a whole number from 1 to ${max}, got '${raw}'`);
  }
  return Number(raw);
}

const FLAG_YES = ['1', 'true', 'yes', ''];
const FLAG_NO = ['0', 'false', 'no'];

/**
 * A yes/no query parameter: `1`, `true`, `yes` or bare (`?mine`) for yes, `0`, `false` or `no` for
 * no, in any case; absent is no. API Gateway joins a repeated parameter's values with commas
 * (`mine=1&mine=yes` arrives as `1,yes`), so each value is read alone: repeats that agree are
 * that answer, and repeats that disagree are refused rather than one of them silently winning.
 */
export function parseFlag(query: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const raw = query[name];
  if (raw === undefined) return false;
  const answers = new Set(raw.split(',').map((value) => {
    const lower = value.toLowerCase();
    if (FLAG_YES.includes(lower)) return true;
    if (FLAG_NO.includes(lower)) return false;
    throw invalid(`invalid_${name}`, `Query parameter '${name}' must be 1, true or yes (or bare) for yes, or 0, false or no for no; got '${raw.slice(0, 60)}'`);
  }));
  if (answers.size > 1) throw invalid(`invalid_${name}`, `Query parameter '${name}' is given more than once, both yes and no ('${raw.slice(0, 60)}'); give it once`);
  return answers.has(true);
}
