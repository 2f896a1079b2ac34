/** The longest delay setTimeout, setInterval and AbortSignal.timeout take: 2^31-1 ms (about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The most whole seconds a timer can wait: MAX_TIMER_MS in seconds, rounded down. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * The one parser of whole-number settings: digits only (no sign, spaces, exponent, hex or
 * fraction, all of which Number() would take), from `min` to `max`. Returns undefined otherwise.
 */
export function parseWholeNumber(raw: string, min: number, max: number): number | undefined {
  if (!/^[0-9]+$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
}

/** Reading numbers from the environment, failing at cold start with the variable's name and the bounds. */
export function integerFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, options: { min?: number; max?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const min = options.min ?? 1;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const value = parseWholeNumber(raw, min, max);
  if (value === undefined) throw new Error(`Environment variable ${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  return value;
}
