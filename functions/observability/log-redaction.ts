import { TOKEN_PREFIX } from '../tokens/token-format';

/**
 * Names whose values are credentials wherever they appear: keys of logged objects (headers, SDK
 * inputs, error fields) and query parameters of logged URLs (OAuth's `access_token`, RFC 6750
 * §2.3, and its siblings; a presigned URL's `X-Amz-Signature`, which is the URL's whole secret).
 */
const SECRET_KEYS = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-amz-security-token', 'token', 'secret', 'password',
  'access_token', 'id_token', 'refresh_token', 'client_secret', 'api_key', 'x-amz-signature',
]);

/**
 * Bearer credentials (RFC 6750 §2.1), MLHub's personal access tokens (functions/tokens/token-format.ts)
 * and JWTs (RFC 7519: three base64url parts, the first a JSON header, so starting `eyJ`).
 */
const SECRET_TEXT = new RegExp([
  // Not the words "bearer token(s)" in a sentence (the CLI's "The bearer token was refused").
  String.raw`\bBearer\s+(?!tokens?\b)[^\s"',;]+`,
  // No \b before the prefix: a token glued to other text (`notaurlmlh_…`) is still a token.
  String.raw`${TOKEN_PREFIX}[A-Za-z0-9_-]+`,
  String.raw`\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`,
].join('|'), 'gi');

/** A URL's userinfo (RFC 3986 §3.2.1, `scheme://user:password@host`): a credential whatever it holds. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/** A query parameter in a URL: `?name=value` or `&name=value`. */
const QUERY_PARAMETER = /([?&;])([^=&;#\s]+)=([^&;#\s]*)/g;

export const REDACTED = '[redacted]';

function parameterName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * A line of text with its credentials replaced by `[redacted]`: the values of query parameters
 * named as secrets (`?access_token=…`, `&X-Amz-Signature=…`), a URL's userinfo (`https://u:p@…`),
 * bearer credentials, personal access tokens and JWTs anywhere (in a path too). Every line MLHub
 * writes passes through it: the handlers' log entries (redactSecrets), the local runtime's own
 * lines (its access log, the S3 request log, the Lambda endpoint's and the event dispatcher's
 * lines; local/runtime.ts) and all the CLI prints (cli/output.ts).
 */
export function redactText(text: string): string {
  return text
    .replace(QUERY_PARAMETER, (whole, separator: string, name: string, value: string) => (value !== '' && SECRET_KEYS.has(parameterName(name)) ? `${separator}${name}=${REDACTED}` : whole))
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(SECRET_TEXT, REDACTED);
}

/**
 * A JSON.stringify replacer for log entries: credentials never reach a log line, even when an
 * error message or a field carries one by mistake. Logging never includes request headers or
 * bodies in the first place; this is the second line of defence.
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (SECRET_KEYS.has(key.toLowerCase()) && value !== undefined && value !== null && value !== '') return REDACTED;
  return typeof value === 'string' ? redactText(value) : value;
}
