import { AppError } from '../../errors/app-error';
import type { BackendKind } from '../backend-spec';
import { backendBusy, backendFailed, backendRejectedInput, backendTooLarge, backendUnreachable, isAbort } from './backend-failures';
import { parseBackendJson } from './backend-json';

export type Fetch = typeof globalThis.fetch;

/** More than any prediction MLHub can return through a Lambda response. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface BackendResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface BackendRequest {
  readonly kind: BackendKind;
  readonly url: string;
  readonly body: string | FormData | Uint8Array;
  readonly contentType?: string;
  readonly signal: AbortSignal;
  /** What the backend calls the model, for a clearer 404. */
  readonly model: string;
}

async function readCapped(response: Response, kind: BackendKind): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) throw backendFailed(kind, `its answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let length = 0;
  if (!response.body) return Buffer.alloc(0);
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    length += chunk.length;
    if (length > MAX_RESPONSE_BYTES) throw backendFailed(kind, `its answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The error message inside a backend's error body: `{"error"}` (TF Serving, OIP), `{"message"}` (TorchServe), or text. */
export function errorMessage(body: Buffer): string | undefined {
  const text = body.toString('utf8').trim();
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['error', 'message', 'detail', 'OriginalMessage']) {
      const value = parsed?.[key];
      if (typeof value === 'string' && value) return value;
    }
    return undefined;
  } catch {
    return text.startsWith('<') ? undefined : text;
  }
}

/** The most of a backend's own error message kept for the logs. */
const MAX_LOGGED_ANSWER_CHARS = 1000;

/**
 * What the backend answered, as the `cause` of the error MLHub logs: its status and its own
 * error message (cut to MAX_LOGGED_ANSWER_CHARS). Callers never see it, as it may name internal
 * hosts; the logger redacts any credential in it.
 */
export class BackendAnswerError extends Error {
  constructor(readonly status: number, answer: string | undefined) {
    const said = answer === undefined ? '' : `: ${answer.length > MAX_LOGGED_ANSWER_CHARS ? `${answer.slice(0, MAX_LOGGED_ANSWER_CHARS)}…` : answer}`;
    super(`The backend answered HTTP ${status}${said}`);
    this.name = 'BackendAnswerError';
  }
}

/** Turns a non-2xx answer into the AppError MLHub gives its caller, with what the backend said as its cause for the logs. */
export function failureForStatus(kind: BackendKind, status: number, body: Buffer, model: string): Error {
  if (status === 400 || status === 422) return backendRejectedInput(kind, errorMessage(body));
  if (status === 413) return backendTooLarge(kind);
  const cause = new BackendAnswerError(status, errorMessage(body));
  if (status === 429) return backendBusy(kind, cause);
  if (status === 404) return backendFailed(kind, `it does not serve model '${model}' (HTTP 404)`, cause);
  return backendFailed(kind, `HTTP ${status}`, cause);
}

/**
 * POSTs to a backend under the deadline's signal. Redirects are refused (a model's metadata
 * must not steer MLHub elsewhere), and so are answers too large to return.
 */
export async function postToBackend(fetchImpl: Fetch, request: BackendRequest): Promise<BackendResponse> {
  let response: Response;
  try {
    response = await fetchImpl(request.url, {
      method: 'POST',
      body: request.body,
      headers: {
        accept: 'application/json',
        ...(request.contentType ? { 'content-type': request.contentType } : {}),
      },
      redirect: 'error',
      signal: request.signal,
    });
  } catch (error) {
    if (isAbort(error, request.signal)) throw error;
    throw backendUnreachable(request.kind, error);
  }
  let body: Buffer;
  try {
    body = await readCapped(response, request.kind);
  } catch (error) {
    if (isAbort(error, request.signal)) throw error;
    if (error instanceof AppError) throw error;
    throw backendUnreachable(request.kind, error);
  }
  if (response.status < 200 || response.status >= 300) throw failureForStatus(request.kind, response.status, body, request.model);
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
}

/** POSTs JSON and parses the JSON answer. */
export async function postJson(fetchImpl: Fetch, request: Omit<BackendRequest, 'body' | 'contentType'> & { readonly payload: unknown }): Promise<unknown> {
  const response = await postToBackend(fetchImpl, { ...request, body: JSON.stringify(request.payload), contentType: 'application/json' });
  return parseJsonAnswer(request.kind, response.body);
}

/** A backend's JSON answer, with non-finite and 64-bit values kept exactly (backend-json.ts). */
export function parseJsonAnswer(kind: BackendKind, body: Buffer): unknown {
  try {
    return parseBackendJson(body.toString('utf8'));
  } catch (error) {
    throw backendFailed(kind, 'its answer is not JSON', error);
  }
}

/** Runs `task` on each item with at most `limit` at once, keeping the order of results. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
