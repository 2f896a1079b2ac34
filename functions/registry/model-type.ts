import { invalid } from '../errors/app-error';

/** The frameworks a model may be declared as (`type`): issue 14's deployable ones and ONNX, which MLHub runs itself. */
export const MODEL_TYPES = ['TensorFlow', 'PyTorch', 'Keras', 'ScikitLearn', 'XGBoost', 'ONNX'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** Spellings researchers use, compared after lowercasing and dropping spaces, dots, dashes and underscores. */
const ALIASES: Readonly<Record<string, ModelType>> = {
  tensorflow: 'TensorFlow', tf: 'TensorFlow', tf2: 'TensorFlow', tensorflow2: 'TensorFlow', savedmodel: 'TensorFlow',
  pytorch: 'PyTorch', torch: 'PyTorch', torchscript: 'PyTorch',
  keras: 'Keras', tfkeras: 'Keras',
  scikitlearn: 'ScikitLearn', sklearn: 'ScikitLearn', scikit: 'ScikitLearn',
  xgboost: 'XGBoost', xgb: 'XGBoost',
  onnx: 'ONNX',
};

const comparable = (spelling: string): string => spelling.toLowerCase().replace(/[\s._-]+/g, '');

export function normaliseModelType(spelling: string): ModelType {
  const type = ALIASES[comparable(spelling)];
  if (!type) {
    throw invalid('invalid_model_type', `Unknown model type '${spelling}': use one of ${MODEL_TYPES.join(', ')}`);
  }
  return type;
}
