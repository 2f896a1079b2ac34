import { AppError } from '../../errors/app-error';
import type { BackendKind } from '../backend-spec';

/**
 * Errors for a backend that failed MLHub. Messages name the backend's kind and what happened,
 * never its URL or host: a model's readers need not learn the deployment's internal addresses.
 * The original error rides along as `cause` for the logs.
 */

export const backendTimeout = (kind: BackendKind, deadlineMs: number, cause?: unknown, detail?: string): AppError =>
  new AppError('timeout', 'backend_timeout', `The ${kind} backend did not answer within ${deadlineMs} ms${detail ? `: ${detail}` : ''}`, { cause });

export const backendUnreachable = (kind: BackendKind, cause?: unknown): AppError => {
  const code = networkCode(cause);
  return new AppError('bad_gateway', 'backend_unavailable', `The ${kind} backend could not be reached${code ? ` (${code})` : ''}`, { cause });
};

export const backendFailed = (kind: BackendKind, detail: string, cause?: unknown): AppError =>
  new AppError('bad_gateway', 'backend_error', `The ${kind} backend failed: ${detail}`, { cause });

/** SageMaker has no such endpoint in service (being created or deleted, or gone): the model's state, not a failure of the backend. */
export const endpointNotInService = (cause?: unknown): AppError =>
  new AppError('conflict', 'endpoint_not_in_service', 'The SageMaker endpoint is not in service: it is being created or deleted, or it is gone', { cause });

export const backendBusy = (kind: BackendKind, cause?: unknown): AppError =>
  new AppError('unavailable', 'backend_busy', `The ${kind} backend is overloaded; try again shortly`, { cause });

export const backendRejectedInput = (kind: BackendKind, message: string | undefined): AppError =>
  new AppError('invalid', 'invalid_input', `The ${kind} backend rejected the input${message ? `: ${redact(message)}` : ''}`);

export const backendTooLarge = (kind: BackendKind): AppError =>
  new AppError('too_large', 'input_too_large', `The ${kind} backend refused the input as too large`);

/** A backend's own words can quote URLs or hosts; keep them out, and keep it short. */
export function redact(message: string): string {
  const cleaned = message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, '<url>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > 300 ? `${cleaned.slice(0, 300)}…` : cleaned;
}

/** ECONNREFUSED and friends: safe to show, and the most useful thing to know. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether an error is the deadline's abort, however the transport dressed it. */
export function isAbort(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  const name = (error as { name?: unknown })?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}
