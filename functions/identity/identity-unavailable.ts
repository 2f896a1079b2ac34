import { AppError } from '../errors/app-error';

/**
 * How long a caller should wait before retrying after `503 identity_unavailable`, in seconds: long
 * enough for a throttled user pool or a JWKS fetch to recover, short enough that a script's retry
 * soon succeeds. Sent as Retry-After (RFC 9110 §10.2.3), as a 429 `rate_limited` or a 503
 * `predict_function_busy` send theirs.
 */
export const IDENTITY_RETRY_AFTER_SECONDS = 5;

/** `503 identity_unavailable` with Retry-After: the issuer's keys or the user pool could not answer. */
export const identityUnavailable = (message: string, cause: unknown): AppError =>
  new AppError('unavailable', 'identity_unavailable', message, { headers: { 'retry-after': String(IDENTITY_RETRY_AFTER_SECONDS) }, cause });
