import { AppError, conflict, invalid } from '../../errors/app-error';
import type { ImageInput } from '../predict-input';
import type { ImageLayoutName, ModelParams } from '../model-params';
import { formatShape, type Tensor } from '../tensor';
import { decodeImage, type Raster } from './decode-image';
import { resizePlane } from './resize-image';

/** Where the pixels go in the model's input: `flat` is row-major height, width, channel. */
export interface ImageTarget {
  readonly layout: ImageLayoutName;
  readonly channels: 1 | 3 | 4;
  readonly width: number;
  readonly height: number;
  /** The tensor shape for one image, batch dimension of 1 included. */
  readonly shape: readonly number[];
}

/** A model input dimension: a fixed size, or a symbolic/unknown one. */
export type DeclaredDim = number | string;

const fixed = (dim: DeclaredDim | undefined): number | undefined => (typeof dim === 'number' && dim > 0 ? dim : undefined);
const isChannelCount = (dim: number | undefined): dim is 1 | 3 | 4 => dim === 1 || dim === 3 || dim === 4;

function targetFor(layout: ImageLayoutName, channels: 1 | 3 | 4, width: number, height: number, rank: number): ImageTarget {
  const shape = layout === 'flat' ? [1, height * width * channels]
    : rank === 3 ? [1, height, width]
      : layout === 'NCHW' ? [1, channels, height, width] : [1, height, width, channels];
  return { layout, channels, width, height, shape };
}

const unknownSize = (where: string): Error =>
  conflict('image_size_unknown', `${where}; set "img_width" and "img_height" (and "img_channels") in the bundle's params.json`);

/** An image sent to a model that takes none: the request is what is wrong (400), not the bundle. */
const notAnImageInput = (where: string): Error =>
  invalid('image_not_accepted', `${where}, so it takes no image; send its input as JSON, e.g. {"input": [...]}. ` +
    `If it does take images, say so in the bundle's params.json ("img_width", "img_height", "img_channels", "img_layout")`);

/** Whether params.json describes an image input at all. */
const declaresImage = (params: ModelParams['image']): boolean =>
  params.width !== undefined || params.height !== undefined || params.channels !== undefined || params.layout !== undefined;

const NUMERIC_TYPE = /^(float(16|32|64)?|double|u?int(8|16|32|64))$/;

/**
 * Fits an image to a model's declared input shape: [N, C, H, W] (NCHW), [N, H, W, C] (NHWC),
 * [N, H, W] (one channel) or [N, H·W·C] (flat). A shape alone says "image" only with a channel
 * axis of 1, 3 or 4 in a rank-4 input; [N, H, W] and [N, K] are just as often a sequence or a
 * row of features, so they take images only when params.json describes one. Anything else is
 * refused with 400, never reshaped into a wrong answer. Fixed dimensions of the model win over
 * params.json; params.json fills in what the model leaves open and settles NCHW against NHWC
 * when the shape alone cannot.
 */
export function imageTargetForShape(declared: readonly DeclaredDim[], params: ModelParams['image'], inputName: string, elementType = 'float32'): ImageTarget {
  const rank = declared.length;
  const where = `The model input '${inputName}' has shape ${formatShape(declared)}`;
  if (!NUMERIC_TYPE.test(elementType)) throw notAnImageInput(`${where} and type ${elementType}`);
  const described = declaresImage(params);
  if (rank === 4) {
    const first = fixed(declared[1]);
    const last = fixed(declared[3]);
    if (!described && !isChannelCount(first) && !isChannelCount(last)) throw notAnImageInput(`${where}, with no channel axis of 1, 3 or 4`);
    const layout: ImageLayoutName = params.layout && params.layout !== 'flat' ? params.layout
      : isChannelCount(first) && !isChannelCount(last) ? 'NCHW'
        : isChannelCount(last) && !isChannelCount(first) ? 'NHWC'
          : params.channels !== undefined && last === params.channels ? 'NHWC' : 'NCHW';
    const [channelDim, heightDim, widthDim] = layout === 'NCHW' ? [declared[1], declared[2], declared[3]] : [declared[3], declared[1], declared[2]];
    const channels = fixed(channelDim) ?? params.channels ?? 3;
    if (!isChannelCount(channels)) throw notAnImageInput(`${where}: ${channels} channels is not an image`);
    const height = fixed(heightDim) ?? params.height;
    const width = fixed(widthDim) ?? params.width;
    if (!height || !width) throw unknownSize(`${where} with an open image size`);
    return targetFor(layout, channels, width, height, rank);
  }
  if ((rank === 3 || rank === 2) && !described) throw notAnImageInput(`${where}, and its bundle's params.json describes no image`);
  if (rank === 3) {
    const height = fixed(declared[1]) ?? params.height;
    const width = fixed(declared[2]) ?? params.width;
    if (!height || !width) throw unknownSize(`${where} with an open image size`);
    return targetFor('NHWC', 1, width, height, rank);
  }
  if (rank === 2) {
    const channels = params.channels ?? 1;
    const length = fixed(declared[1]);
    let width = params.width;
    let height = params.height;
    if ((!width || !height) && length !== undefined) {
      const side = Math.round(Math.sqrt(length / channels));
      if (side * side * channels === length) width = height = side;
    }
    if (!width || !height) throw unknownSize(`${where}, which is not a square image`);
    if (length !== undefined && width * height * channels !== length) {
      throw conflict('image_shape_unsupported', `${where}, but params.json describes ${width}×${height}×${channels} = ${width * height * channels} values`);
    }
    return targetFor('flat', channels, width, height, rank);
  }
  throw notAnImageInput(`${where}; images go to inputs shaped [N, C, H, W], [N, H, W, C], [N, H, W] or [N, H·W·C]`);
}

/**
 * For a backend that does not declare shapes: params.json says it all, NHWC by default as in
 * TensorFlow. A bundle whose params.json describes no image takes none (400).
 */
export function imageTargetFromParams(params: ModelParams['image'], backend: string): ImageTarget {
  if (!declaresImage(params)) throw notAnImageInput(`This model, served by the ${backend} backend, declares no image input in its bundle's params.json`);
  if (!params.width || !params.height) {
    throw unknownSize(`Sending an image to the ${backend} backend needs its size`);
  }
  return targetFor(params.layout ?? 'NHWC', params.channels ?? 3, params.width, params.height, 4);
}

/** One plane per channel: grey is ITU-R BT.601 luma (alpha ignored, as PIL's convert('L') does). */
function channelPlanes(raster: Raster, channels: 1 | 3 | 4): Float64Array[] {
  const pixels = raster.width * raster.height;
  const planes = Array.from({ length: channels }, () => new Float64Array(pixels));
  const { rgba } = raster;
  for (let i = 0; i < pixels; i += 1) {
    const r = rgba[i * 4] ?? 0;
    const g = rgba[i * 4 + 1] ?? 0;
    const b = rgba[i * 4 + 2] ?? 0;
    if (channels === 1) {
      planes[0]![i] = 0.299 * r + 0.587 * g + 0.114 * b;
    } else {
      planes[0]![i] = r;
      planes[1]![i] = g;
      planes[2]![i] = b;
      if (channels === 4) planes[3]![i] = rgba[i * 4 + 3] ?? 0;
    }
  }
  return planes;
}

const perChannel = (value: readonly number[] | number, channel: number): number =>
  typeof value === 'number' ? value : (value[channel] ?? value[value.length - 1] ?? 0);

/**
 * Decodes, converts channels, resizes, scales and normalises an image, then lays it out for the target.
 *
 * @param limits `maxImagePixels` bounds the target's width × height, `maxInputElements` the numbers
 *   it becomes (× channels), the same bound a JSON input has (InputLimits)
 * @throws AppError 409 invalid_bundle_params past the pixels; 413 input_too_large past the numbers
 */
export function imageToTensor(image: ImageInput, target: ImageTarget, params: ModelParams['image'], limits: { readonly maxImagePixels: number; readonly maxInputElements: number }): Tensor {
  const { width, height, channels } = target;
  const maxPixels = limits.maxImagePixels;
  // Checked before decoding: the planes of the target's size are allocated per request, and a
  // backend is sent them as JSON (some ten bytes a number), so a 28×28 PNG could cost gigabytes.
  if (width * height > maxPixels) {
    throw conflict('invalid_bundle_params', `The model takes ${width}×${height} images (${width * height} pixels, from its shape or params.json), more than the ${maxPixels} pixels a prediction prepares (MLHUB_PREDICT_MAX_IMAGE_PIXELS)`);
  }
  if (width * height * channels > limits.maxInputElements) {
    throw new AppError('too_large', 'input_too_large', `The model takes ${width}×${height}×${channels} images (${width * height * channels} numbers, from its shape or params.json), more than the ${limits.maxInputElements} numbers a prediction's input may hold (MLHUB_PREDICT_MAX_ELEMENTS)`);
  }
  const raster = decodeImage(image, maxPixels);
  const planes = channelPlanes(raster, channels).map((plane, channel) => {
    const resized = resizePlane(plane, raster.width, raster.height, width, height);
    const mean = perChannel(params.mean, channel);
    const std = perChannel(params.std, channel);
    return resized.map((value) => (value * params.scale - mean) / std);
  });
  const data = new Float64Array(width * height * channels);
  const pixels = width * height;
  for (let channel = 0; channel < channels; channel += 1) {
    const plane = planes[channel]!;
    for (let pixel = 0; pixel < pixels; pixel += 1) {
      const index = target.layout === 'NCHW' ? channel * pixels + pixel : pixel * channels + channel;
      data[index] = plane[pixel] ?? 0;
    }
  }
  return { shape: target.shape, data };
}
