/**
 * Errors the domain raises on purpose. The kind says what went wrong in terms any caller
 * understands; the HTTP layer alone turns a kind into a status code, so domain code never
 * speaks HTTP.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'gone'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'conflict'
  | 'stale'
  | 'too_large'
  | 'too_many_requests'
  | 'unsupported_media_type'
  | 'bad_gateway'
  | 'unavailable'
  | 'timeout'
  | 'internal';

import type { ErrorCode } from './error-catalogue';

export class AppError extends Error {
  readonly kind: ErrorKind;
  /** A stable machine-readable code from the catalogue (error-catalogue.ts), e.g. `model_not_found`. */
  readonly code: ErrorCode;
  /** Extra response headers the error needs (e.g. `Allow` on a 405). */
  readonly headers: Readonly<Record<string, string>>;
  /** Members the body carries beside `error`, such as the `tombstone` of a 410 for a withdrawn record. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: ErrorKind, code: ErrorCode, message: string, options?: { headers?: Record<string, string>; cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.headers = options?.headers ?? {};
    this.details = options?.details ?? {};
  }
}

export const invalid = (code: ErrorCode, message: string): AppError => new AppError('invalid', code, message);
export const notFound = (code: ErrorCode, message: string): AppError => new AppError('not_found', code, message);
export const conflict = (code: ErrorCode, message: string): AppError => new AppError('conflict', code, message);

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
