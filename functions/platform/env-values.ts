/** Reading numbers from the environment, failing at cold start with the variable's name. */
export function integerFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, options: { min?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const min = options.min ?? 1;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`Environment variable ${name} must be ${min === 1 ? 'a positive integer' : `an integer of at least ${min}`}, got '${raw}'`);
  }
  return value;
}
