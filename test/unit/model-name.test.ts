import { describe, expect, it } from 'vitest';
import { AppError } from '../../functions/errors/app-error';
import { checkModelName, MODEL_NAME_MAX_LENGTH } from '../../functions/registry/model-name';

describe('checkModelName', () => {
  it.each(['mnist', 'MNIST-v2', 'resnet50_imagenet', 'a', 'bert.base.uncased', '9lives'])('accepts %s', (name) => {
    expect(checkModelName(name)).toBe(name);
  });

  it.each([
    ['empty', ''],
    ['path traversal', '..'],
    ['dot segment inside', 'a..b'],
    ['slash', 'a/b'],
    ['backslash', 'a\\b'],
    ['leading dot', '.hidden'],
    ['trailing dash', 'model-'],
    ['space', 'my model'],
    ['percent', 'a%2Fb'],
    ['unicode', 'modèle'],
    ['NUL', 'a\0b'],
    ['too long', 'a'.repeat(MODEL_NAME_MAX_LENGTH + 1)],
  ])('rejects %s with the rule in the message', (_label, name) => {
    let error: unknown;
    try {
      checkModelName(name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('invalid_model_name');
    expect((error as AppError).message).toContain(`1-${MODEL_NAME_MAX_LENGTH} characters`);
  });

  it('accepts the longest allowed name', () => {
    expect(checkModelName('a'.repeat(MODEL_NAME_MAX_LENGTH))).toHaveLength(MODEL_NAME_MAX_LENGTH);
  });
});
