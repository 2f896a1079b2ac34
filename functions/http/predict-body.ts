import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AppError, invalid } from '../errors/app-error';
import type { InputLimits } from '../inference/inference-config';
import { parseImageInput, parseJsonInput, type PredictInput } from '../inference/predict-input';
import { formatBytes } from './body-limit';
import { bodyBytes, mediaType } from './request-body';

interface MultipartFile {
  readonly mimetype?: string;
  readonly content: Buffer;
}

const isFile = (value: unknown): value is MultipartFile =>
  typeof value === 'object' && value !== null && Buffer.isBuffer((value as MultipartFile).content);

/**
 * What to predict on, in any form a client sends it: JSON (`input` or `inputs`), a multipart form
 * with an `image` file (the seed's `curl -F 'image=@img4.png'`), or a raw PNG or JPEG body.
 * Any other image (GIF, WebP, a JPEG labelled image/png…) is refused with 415 naming PNG and JPEG.
 * Parsers earlier in the chain have already turned JSON and forms into objects.
 */
export function readPredictInput(event: APIGatewayProxyEventV2, parsedBody: unknown, limits: InputLimits): PredictInput {
  const type = mediaType(event.headers['content-type']);
  if (type === 'multipart/form-data') {
    const form = typeof parsedBody === 'object' && parsedBody !== null ? (parsedBody as Record<string, unknown>) : undefined;
    if (!form) throw invalid('invalid_multipart', "The multipart body could not be read; send it as curl -F 'image=@digit.png' does");
    const image = form.image;
    if (Array.isArray(image)) throw invalid('invalid_multipart', "Send exactly one 'image' field");
    if (!isFile(image)) throw invalid('missing_image', "The form needs an 'image' field holding a PNG or JPEG file");
    return parseImageInput(image.content, mediaType(image.mimetype), limits);
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    if (event.body === undefined || event.body === '') throw invalid('missing_body', 'Send the input as JSON, e.g. {"input": [1, 2, 3]}');
    return parseJsonInput(parsedBody, limits);
  }
  // Every image type goes to the image reader, which names the formats MLHub reads when it cannot read this one.
  if (type.startsWith('image/')) return parseImageInput(bodyBytes(event), type, limits);
  throw new AppError('unsupported_media_type', 'unsupported_media_type',
    `Content-Type '${type || '(none)'}' is not prediction input; send application/json, an image/png or image/jpeg body, or a multipart form with an 'image' file`);
}

export const tooLargeForPrediction = (size: number, limit: number): string =>
  `The prediction input is ${formatBytes(size)}, over the ${formatBytes(limit)} one request can carry; ` +
  'send fewer rows per request, or a smaller image';
