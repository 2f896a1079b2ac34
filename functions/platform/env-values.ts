/** Reading numbers from the environment, failing at cold start with the variable's name. */
export function integerFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, options: { min?: number; max?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const min = options.min ?? 1;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = options.max !== undefined ? `a whole number from ${min} to ${max}` : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
    throw new Error(`Environment variable ${name} must be ${range}, got '${raw}'`);
  }
  return value;
}
