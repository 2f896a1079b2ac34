import { invalid } from '../errors/app-error';

/** A positive integer query parameter, or undefined when absent. */
export function positiveIntegerParam(query: Readonly<Record<string, string | undefined>>, name: string, max: number): number | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(raw) || Number(raw) > max) {
    throw invalid(`invalid_${name}`, `Query parameter '${name}' must be a whole number from 1 to ${max}, got '${raw}'`);
  }
  return Number(raw);
}

/** A yes/no query parameter: `1`/`true`/`yes` or `0`/`false`/`no`; absent is no. */
export function parseFlag(query: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const raw = query[name];
  if (raw === undefined) return false;
  if (['1', 'true', 'yes', ''].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw invalid(`invalid_${name}`, `Query parameter '${name}' must be 1 or 0, got '${raw}'`);
}
