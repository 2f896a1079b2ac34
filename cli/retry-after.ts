/** How the CLI waits when MLHub answers 429 Too Many Requests. */
export interface RetryPolicy {
  /** Tries after the first; then the 429 is reported. */
  readonly maxRetries: number;
  /** A wait asked for beyond this is not waited out: the 429 is reported, with MLHub's message saying when to come back. */
  readonly maxWaitSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, maxWaitSeconds: 60 };

/**
 * Seconds to wait before retry number `attempt` (1-based) of a request answered 429: what its
 * Retry-After says (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date), else 1, 2, 4… seconds (API
 * Gateway's own throttling sends none). Undefined when the policy says to stop.
 */
export function retryDelaySeconds(retryAfter: string | null, attempt: number, policy: RetryPolicy, now = Date.now()): number | undefined {
  if (attempt > policy.maxRetries) return undefined;
  const text = retryAfter?.trim() ?? '';
  let seconds: number;
  if (/^\d+$/.test(text)) seconds = Number(text);
  else if (text !== '' && !Number.isNaN(Date.parse(text))) seconds = Math.max(0, Math.ceil((Date.parse(text) - now) / 1000));
  else seconds = 2 ** (attempt - 1);
  return seconds > policy.maxWaitSeconds ? undefined : seconds;
}
