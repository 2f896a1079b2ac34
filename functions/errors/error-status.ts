import type { ErrorKind } from './app-error';

const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  gone: 410,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  stale: 412,
  too_large: 413,
  too_many_requests: 429,
  unsupported_media_type: 415,
  bad_gateway: 502,
  unavailable: 503,
  timeout: 504,
  internal: 500,
};

export const statusForKind = (kind: ErrorKind): number => STATUS_BY_KIND[kind];
