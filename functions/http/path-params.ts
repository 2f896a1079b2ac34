import { invalid } from '../errors/app-error';
import { MAX_VERSION_NUMBER } from '../versions/version-records';

/** The `{n}` of `/model/{name}/versions/{n}`: a whole number from 1 to MAX_VERSION_NUMBER, else 400 naming it. */
export function versionInPath(raw: string | undefined): number {
  const text = raw ?? '';
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > MAX_VERSION_NUMBER) {
    throw invalid('invalid_version', `The version in the path must be a whole number from 1 to ${MAX_VERSION_NUMBER}, got '${text.slice(0, 40)}'`);
  }
  return Number(text);
}
