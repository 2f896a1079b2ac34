import { expect } from 'vitest';
import { checkAnswer } from './contract-check';

export interface JsonReply<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** Sends a request and parses the JSON answer; fails the test if the answer is not JSON. */
export async function call<T = unknown>(base: string, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<JsonReply<T>> {
  const response = await fetch(`${base}${path}`, { method, ...init });
  const text = await response.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  // Every answer an integration test reads is held to its route's contract.
  const { violations } = checkAnswer(method, path, response.status, body, response.headers.get('content-type'));
  if (violations.length > 0) throw new Error(`Contract broken: ${violations.join('\n')}`);
  return { status: response.status, headers: response.headers, body };
}

export const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

/**
 * Asserts MLHub's error shape: `{"error":{"code","message"}}` with the given status and code; a
 * withdrawn record's 410 (and only that) also carries its `tombstone`.
 */
export function expectError(reply: JsonReply, status: number, code: string, message?: RegExp): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  const error = (reply.body as { error?: { code?: unknown; message?: unknown } }).error;
  expect(error?.code).toBe(code);
  expect(typeof error?.message).toBe('string');
  expect(Object.keys(reply.body as object).sort()).toEqual(code === 'version_withdrawn' || code === 'model_withdrawn' ? ['error', 'tombstone'] : ['error']);
  if (message) expect(error?.message).toMatch(message);
}
