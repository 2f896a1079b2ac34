import { invalid } from '../errors/app-error';

export const MODEL_NAME_MAX_LENGTH = 100;

export const MODEL_NAME_RULE =
  `1-${MODEL_NAME_MAX_LENGTH} characters of letters, digits, '.', '_' and '-', ` +
  `starting and ending with a letter or digit, with no '..'`;

/** Without the no-'..' rule, which checkModelName adds (JSON Schema patterns have no lookahead-free way to say it cleanly). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * Names become DynamoDB keys, S3 key segments and URL path segments, so the charset excludes
 * anything a path, a shell or a key scheme could read as structure.
 */
export function checkModelName(name: string): string {
  const ok = name.length <= MODEL_NAME_MAX_LENGTH && MODEL_NAME_PATTERN.test(name) && !name.includes('..');
  if (!ok) {
    const shown = name.length > 120 ? `${name.slice(0, 117)}...` : name;
    throw invalid('invalid_model_name', `Invalid model name '${shown}': use ${MODEL_NAME_RULE}`);
  }
  return name;
}
