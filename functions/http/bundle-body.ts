import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AppError, invalid } from '../errors/app-error';
import { bodyBytes, mediaType } from './request-body';

/** Media types under which the raw body is taken to be the .tar.gz itself. */
const RAW_BUNDLE_TYPES = new Set([
  '',
  'application/octet-stream',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-gtar',
  'application/x-compressed-tar',
  'application/tar+gzip',
]);

interface MultipartFile {
  readonly filename?: string;
  readonly content: Buffer;
}

const isMultipartFile = (value: unknown): value is MultipartFile =>
  typeof value === 'object' && value !== null && Buffer.isBuffer((value as MultipartFile).content);

export interface BundleUpload {
  readonly bytes: Buffer;
  readonly filename?: string;
}

/**
 * The bundle in an upload request: the raw body (the seed's `--data-binary`, with
 * `Content-Encoding: gzip` describing the bytes, which are stored as they are), or the `file`
 * field of a multipart form, already parsed by the multipart middleware.
 */
export function readBundleUpload(event: APIGatewayProxyEventV2, parsedBody: unknown): BundleUpload {
  const type = mediaType(event.headers['content-type']);
  let upload: BundleUpload;
  if (type === 'multipart/form-data') {
    if (typeof parsedBody !== 'object' || parsedBody === null) {
      throw invalid('invalid_multipart', "The multipart body could not be read; send it with a boundary, as curl -F 'file=@bundle.tar.gz' does");
    }
    const file = (parsedBody as Record<string, unknown>).file;
    if (Array.isArray(file)) throw invalid('invalid_multipart', "Send exactly one 'file' field");
    if (!isMultipartFile(file)) throw invalid('missing_file', "The multipart form needs a 'file' field holding the .tar.gz bundle");
    upload = { bytes: file.content, ...(file.filename ? { filename: file.filename } : {}) };
  } else if (RAW_BUNDLE_TYPES.has(type)) {
    upload = { bytes: bodyBytes(event) };
  } else {
    throw new AppError('unsupported_media_type', 'unsupported_media_type',
      `Content-Type '${type}' is not a bundle upload; send the .tar.gz as application/octet-stream, or as multipart/form-data with a 'file' field`);
  }
  if (upload.bytes.length === 0) throw invalid('empty_bundle', 'The upload is empty; send the .tar.gz bundle as the body');
  return upload;
}
