import { describe, expect, it } from 'vitest';
import { MODEL_TYPES, normaliseModelType } from '../../functions/registry/model-type';

describe('normaliseModelType', () => {
  it.each([
    ['TensorFlow', 'TensorFlow'],
    ['tensorflow', 'TensorFlow'],
    ['tf', 'TensorFlow'],
    ['torch', 'PyTorch'],
    ['PyTorch', 'PyTorch'],
    ['sklearn', 'ScikitLearn'],
    ['scikit-learn', 'ScikitLearn'],
    ['Scikit_Learn', 'ScikitLearn'],
    ['keras', 'Keras'],
    ['onnx', 'ONNX'],
    ['xgboost', 'XGBoost'],
    ['XGBoost', 'XGBoost'],
    ['xgb', 'XGBoost'],
  ])('%s → %s', (spelling, canonical) => {
    expect(normaliseModelType(spelling)).toBe(canonical);
  });

  it('canonical names map to themselves', () => {
    for (const type of MODEL_TYPES) expect(normaliseModelType(type)).toBe(type);
  });

  it('lists the allowed types for an unknown one', () => {
    expect(() => normaliseModelType('caffe')).toThrow(/Unknown model type 'caffe': use one of TensorFlow, PyTorch, Keras, ScikitLearn, XGBoost, ONNX/);
  });
});
