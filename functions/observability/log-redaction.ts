import { TOKEN_PREFIX } from '../tokens/token-format';

/** Keys whose values are credentials wherever they appear (headers, SDK inputs, error fields). */
const SECRET_KEYS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-amz-security-token', 'token', 'secret', 'password']);

/**
 * Bearer credentials (RFC 6750 §2.1), MLHub's personal access tokens (functions/tokens/token-format.ts)
 * and JWTs (RFC 7519: three base64url parts, the first a JSON header, so starting `eyJ`).
 */
const SECRET_TEXT = new RegExp([
  String.raw`\bBearer\s+[^\s"',;]+`,
  String.raw`\b${TOKEN_PREFIX}[A-Za-z0-9_-]+`,
  String.raw`\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`,
].join('|'), 'gi');

export const REDACTED = '[redacted]';

/**
 * A JSON.stringify replacer for log entries: credentials never reach a log line, even when an
 * error message or a field carries one by mistake. Logging never includes request headers or
 * bodies in the first place; this is the second line of defence.
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (SECRET_KEYS.has(key.toLowerCase()) && value !== undefined && value !== null && value !== '') return REDACTED;
  return typeof value === 'string' ? value.replace(SECRET_TEXT, REDACTED) : value;
}
