import { UNREADABLE_CHARACTERS } from './labels';
import type * as z from 'zod/mini';
import { AppError, invalid } from '../errors/app-error';

/** Where in the request a value was read from. */
export type RequestPart = 'body' | 'query' | 'path' | 'header';

/**
 * Fields a schema accepts and ignores (read-only fields of an answer, so that a client may send
 * back what it read): they are not offered as "allowed" when an unknown field is refused.
 */
const ECHOED = new WeakSet<object>();

/** Marks a field schema as accepted and ignored; returns it. */
export function echoed<T extends object>(schema: T): T {
  ECHOED.add(schema);
  return schema;
}

function allowedFields(schema: unknown): string[] {
  const shape = (schema as { def?: { shape?: Record<string, object> } }).def?.shape;
  if (!shape) return [];
  return Object.entries(shape).filter(([, field]) => !ECHOED.has(field)).map(([name]) => name);
}

const EXPECTED: Readonly<Record<string, string>> = { array: 'a list', object: 'a JSON object', string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false' };

/**
 * The issue's own message, where a schema wrote one; zod's generic "Invalid input" says what was
 * expected instead, so that every refusal says what to send.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (!issue.message.startsWith('Invalid input')) return issue.message;
  if (issue.code === 'invalid_type') return `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  if (issue.code === 'invalid_union') return 'is not any of the forms this field takes';
  return issue.message;
}

const quoted = (names: readonly PropertyKey[]) => names.map((name) => `'${String(name).slice(0, 60)}'`).join(', ');

const UNREADABLE = new RegExp(`[${UNREADABLE_CHARACTERS}]`, 'gu');

/**
 * A value quoted back as the reader can see it: control, format and line-separator characters
 * written as `\u{…}` escapes, so an echoed value cannot break a line, recolour a terminal or
 * reorder the message (a U+202E override) where the error is shown.
 */
export const visible = (value: string): string =>
  value.replace(UNREADABLE, (character) => `\\u{${(character.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`);

/**
 * The one translation of a failed zod parse into MLHub's 400: the first issue, with the field it
 * concerns named by its path. A body answers `invalid_body`; a query parameter, path parameter or
 * header answers `invalid_<name>` (`invalid_version`, `invalid_if_match`), with the value as sent.
 *
 * @param schema the schema that refused the value (its shape lists the allowed fields)
 * @param raw the value as sent, to quote back for parameters and headers
 */
export function requestError(part: RequestPart, schema: unknown, error: z.core.$ZodError, raw?: Readonly<Record<string, unknown>>): AppError {
  const issue = error.issues[0];
  if (!issue) return invalid('invalid_body', 'The request is not valid');
  if (part === 'body') {
    if (issue.path.length === 0 && issue.code === 'invalid_type' && issue.expected === 'object') return invalid('invalid_body', 'The request body must be a JSON object');
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
      const allowed = issue.path.length === 0 ? `; allowed: ${allowedFields(schema).join(', ')}` : '';
      return invalid('invalid_body', `Invalid request body: unknown field(s) ${quoted(issue.keys)}${where}${allowed}`);
    }
    return invalid('invalid_body', `Invalid request body: ${issue.path.length > 0 ? issue.path.join('.') : 'body'} ${describeIssue(issue)}`);
  }
  const field = String(issue.path[0] ?? 'value');
  // `{n}` in /model/{name}/versions/{n} is a version number, and is named so in errors.
  const name = part === 'path' && field === 'n' ? 'version' : field;
  const value = raw?.[field];
  const got = typeof value === 'string' ? `, got '${visible(value.slice(0, 60))}'` : '';
  const label = part === 'query' ? `Query parameter '${name}'` : part === 'path' ? `The ${name} in the path` : `The ${name} header`;
  return new AppError('invalid', `invalid_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`, `${label} ${describeIssue(issue)}${got}`);
}

/** Parses a value against a schema, or throws requestError's 400. */
export function parseRequestPart<S extends z.ZodMiniType>(part: RequestPart, schema: S, value: unknown, raw?: Readonly<Record<string, unknown>>): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw requestError(part, schema, parsed.error, raw);
  return parsed.data;
}
