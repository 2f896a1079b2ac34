import { conflict, type AppError } from '../errors/app-error';

export type ImageLayoutName = 'NCHW' | 'NHWC' | 'flat';

/**
 * The parts of a bundle's params.json that inference reads. The keys are TFaaS's (img_channels,
 * input_name, output_name, and its older inputNode/outputNode), extended with img_width,
 * img_height, scale, mean, std, img_layout and softmax.
 */
export interface ModelParams {
  /** The model file inside the bundle (TFaaS's "model"), when the bundle holds several candidates. */
  readonly modelFile?: string;
  readonly inputName?: string;
  readonly outputName?: string;
  readonly image: {
    readonly channels?: 1 | 3 | 4;
    readonly width?: number;
    readonly height?: number;
    readonly layout?: ImageLayoutName;
    /** Multiplies raw 0-255 pixel values first; default 1/255. */
    readonly scale: number;
    /** Subtracted from each scaled channel, then divided by std: one number or one per channel. */
    readonly mean: readonly number[] | number;
    readonly std: readonly number[] | number;
  };
  /** Forces (true) or forbids (false) softmax before labelling; unset decides from the values. */
  readonly softmax?: boolean;
}

/**
 * The most pixels an image params.json describes may have (img_width × img_height): what MLHub
 * accepts in an image it is sent (MLHUB_PREDICT_MAX_IMAGE_PIXELS' default, 4096×4096). Each
 * prediction allocates planes of that size before anything else, so a larger one could only fail
 * (functions/frameworks/scripts/mlhub_serving/bundle.py holds the same bound).
 */
export const MAX_PARAMS_IMAGE_PIXELS = 4096 * 4096;

const badParams = (message: string): AppError => conflict('invalid_bundle_params', `The bundle's params.json ${message}`);

function optionalString(params: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = params[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') throw badParams(`has a non-string "${key}"`);
    return value;
  }
  return undefined;
}

function positiveInteger(params: Record<string, unknown>, key: string): number | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > 65_536) throw badParams(`needs "${key}" to be a positive integer`);
  return value;
}

function numberOrList(params: Record<string, unknown>, key: string, fallback: number, nonZero: boolean): readonly number[] | number {
  const value = params[key];
  if (value === undefined || value === null) return fallback;
  const numbers = Array.isArray(value) ? value : [value];
  if (numbers.length === 0 || numbers.length > 4 || !numbers.every((item) => typeof item === 'number' && Number.isFinite(item) && (!nonZero || item !== 0))) {
    throw badParams(`needs "${key}" to be a ${nonZero ? 'non-zero ' : ''}number or a list of one per channel`);
  }
  return Array.isArray(value) ? (numbers as number[]) : (value as number);
}

const LAYOUTS: Readonly<Record<string, ImageLayoutName>> = {
  nchw: 'NCHW', channels_first: 'NCHW', chw: 'NCHW',
  nhwc: 'NHWC', channels_last: 'NHWC', hwc: 'NHWC',
  flat: 'flat',
};

export function readModelParams(raw: Record<string, unknown> | undefined): ModelParams {
  const params = raw ?? {};
  const channels = positiveInteger(params, 'img_channels');
  if (channels !== undefined && channels !== 1 && channels !== 3 && channels !== 4) throw badParams('needs "img_channels" to be 1, 3 or 4');
  const layoutRaw = optionalString(params, 'img_layout', 'data_format');
  const layout = layoutRaw === undefined ? undefined : LAYOUTS[layoutRaw.toLowerCase()];
  if (layoutRaw !== undefined && !layout) throw badParams('needs "img_layout" to be NCHW, NHWC or flat');
  const scale = params.scale ?? 1 / 255;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw badParams('needs "scale" to be a number');
  const softmax = params.softmax;
  if (softmax !== undefined && typeof softmax !== 'boolean') throw badParams('needs "softmax" to be true or false');
  const modelFile = optionalString(params, 'model');
  const inputName = optionalString(params, 'input_name', 'inputNode');
  const outputName = optionalString(params, 'output_name', 'outputNode');
  const width = positiveInteger(params, 'img_width');
  const height = positiveInteger(params, 'img_height');
  if (width !== undefined && height !== undefined && width * height > MAX_PARAMS_IMAGE_PIXELS) {
    throw badParams(`asks for a ${width}×${height} image (${width * height} pixels), more than the ${MAX_PARAMS_IMAGE_PIXELS} MLHub prepares; give the size the model takes`);
  }
  return {
    ...(modelFile ? { modelFile } : {}),
    ...(inputName ? { inputName } : {}),
    ...(outputName ? { outputName } : {}),
    image: {
      ...(channels ? { channels: channels as 1 | 3 | 4 } : {}),
      ...(width ? { width } : {}),
      ...(height ? { height } : {}),
      ...(layout ? { layout } : {}),
      scale,
      mean: numberOrList(params, 'mean', 0, false),
      std: numberOrList(params, 'std', 1, true),
    },
    ...(softmax === undefined ? {} : { softmax }),
  };
}
