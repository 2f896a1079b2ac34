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
