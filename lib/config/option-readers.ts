/** Readers for raw stack option values (CDK context or environment), shared by every kind of option; each throws StackConfigError naming the option. */
import type { StackOption } from './stack-config';

/** The environment variable that sets an option when no `-c option=value` is given: `MLHUB_DEPLOY_<OPTION>`. */
export function optionEnvName(option: StackOption): string {
  return `MLHUB_DEPLOY_${option.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

export class StackConfigError extends Error {
  constructor(option: StackOption, problem: string) {
    super(`Invalid stack option '${option}' (context '${option}' or env ${optionEnvName(option)}): ${problem}`);
    this.name = 'StackConfigError';
  }
}

/** Context values given with `-c` arrive as strings; values from cdk.json keep their JSON type. */
export function fromJsonText(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const text = raw.trim();
  if (!text.startsWith('{') && !text.startsWith('[')) return raw;
  try {
    return JSON.parse(text);
  } catch {
    return raw;
  }
}

export function stringOption(option: StackOption, raw: unknown): string {
  if (typeof raw !== 'string') throw new StackConfigError(option, `expected a string, got ${JSON.stringify(raw)}`);
  return raw.trim();
}

export function wholeNumber(option: StackOption, raw: unknown, min: number, max: number): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new StackConfigError(option, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** Bytes, as a whole number or with a binary unit: `53687091200`, `50GiB`, `512 MiB`. */
export function parseByteSize(option: StackOption, raw: unknown, range: { readonly min: number; readonly max: number }): number {
  const text = typeof raw === 'number' ? String(raw) : stringOption(option, raw);
  const match = /^(\d+)\s*([KMGT]iB|B)?$/i.exec(text);
  const bytes = match ? Number(match[1]) * (BYTE_UNITS[(match[2] ?? 'b').toLowerCase()] as number) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < range.min || bytes > range.max) {
    throw new StackConfigError(option, `expected a whole number of bytes from ${range.min} to ${range.max}, or a size in KiB, MiB, GiB or TiB such as 50GiB, got ${JSON.stringify(raw)}`);
  }
  return bytes;
}

export function oneOf<T extends string>(option: StackOption, raw: unknown, allowed: readonly T[]): T {
  const value = stringOption(option, raw).toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new StackConfigError(option, `expected ${allowed.map((item) => `'${item}'`).join(', ')}, got '${value}'`);
  }
  return value as T;
}

export function booleanOption(option: StackOption, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  return oneOf(option, raw, ['true', 'false']) === 'true';
}

/**
 * An https URL compared exactly, as a token's `iss` is: kept as given (no trailing slash added),
 * with no query, fragment or credentials.
 */
export function httpsUrl(option: StackOption, raw: unknown, what: string): string {
  const text = stringOption(option, raw);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StackConfigError(option, `'${text}' is not ${what}`);
  }
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new StackConfigError(option, `'${text}' must be an https URL with no query, fragment or credentials (${what})`);
  }
  return text;
}

/**
 * An e-mail address as SES and SNS take one: a local part of printable ASCII without spaces or
 * angle brackets, and a domain of at least two labels (RFC 5321 §4.1.2, without quoted locals).
 */
const EMAIL_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
export const DOMAIN_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;
export const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export function emailAddress(option: StackOption, raw: unknown): string {
  const address = stringOption(option, raw);
  if (address.length > 254 || !EMAIL_ADDRESS.test(address)) throw new StackConfigError(option, `'${address}' is not one e-mail address such as ops@example.org`);
  return address;
}

export function matching(option: StackOption, raw: unknown, pattern: RegExp, what: string): string {
  const value = stringOption(option, raw);
  if (!pattern.test(value)) throw new StackConfigError(option, `'${value}' is not ${what}`);
  return value;
}

/**
 * Refuses the first of `options` that was given, with `problem`: for options that mean nothing
 * without another (an external issuer's, SES mail's, DataCite's), naming the one at fault.
 */
export function refuseGiven(options: readonly StackOption[], given: (option: StackOption) => boolean, problem: string): void {
  const first = options.find(given);
  if (first !== undefined) throw new StackConfigError(first, problem);
}
