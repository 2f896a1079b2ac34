import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { checkAnswer } from './contract-check';
import { call, json, type JsonReply } from './http';
import type { RunningMlhub } from './local-runtime';

/** The demo classifier's bundle, a valid ONNX model. */
export const DEMO_BUNDLE = fileURLToPath(new URL('../../models/demo/mnist.tar.gz', import.meta.url));

/** Any answer as text, with what a test reads of it. */
export interface TextAnswer {
  readonly status: number;
  readonly type: string | null;
  readonly text: string;
  readonly headers: Headers;
}

/**
 * What the tests of publishing, citations and landing pages do on one running MLHub, as the users
 * whose bearer tokens `tokens` holds: JSON calls (held to the route contracts, as `call` holds
 * them), answers in any media type (held to them too), uploads of the demo bundle, and a
 * publication awaited as a client would, by polling the version.
 */
export function publishingClient<User extends string>(mlhub: RunningMlhub, tokens: Readonly<Record<User, string>>) {
  const bearer = (who: User | undefined): Record<string, string> => (who ? { authorization: `Bearer ${tokens[who]}` } : {});

  const as = (who: User | undefined, method: string, path: string, body?: unknown): Promise<JsonReply> =>
    call(mlhub.url, method, path, { ...(body === undefined ? {} : json(body)), headers: { ...(body === undefined ? {} : json(body).headers), ...bearer(who) } });

  /** A GET (or `method`) answered in any media type, with `accept` if given. */
  async function fetchText(path: string, options: { readonly who?: User; readonly accept?: string; readonly method?: string } = {}): Promise<TextAnswer> {
    const method = options.method ?? 'GET';
    const response = await fetch(`${mlhub.url}${path}`, { method, headers: { ...(options.accept === undefined ? {} : { accept: options.accept }), ...bearer(options.who) } });
    const text = await response.text();
    const type = response.headers.get('content-type');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    expect(checkAnswer(method, path, response.status, body, type).violations).toEqual([]);
    return { status: response.status, type, text, headers: response.headers };
  }

  /** Uploads the demo bundle as a new version of `name`. */
  async function upload(owner: User, name: string): Promise<void> {
    const uploaded = await call(mlhub.url, 'POST', `/model/${name}/upload`, { body: await readFile(DEMO_BUNDLE), headers: { 'content-type': 'application/octet-stream', ...bearer(owner) } });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
  }

  /** Publishes a version and waits, as a client would, until it is published (at most 15 s). */
  async function publish(owner: User, name: string, version: number): Promise<void> {
    expect((await as(owner, 'POST', `/model/${name}/versions/${version}/publish`)).status).toBe(202);
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const read = await as(owner, 'GET', `/model/${name}/versions/${version}`);
      if ((read.body as { publication: { state: string } | null }).publication?.state === 'published') return;
    }
    throw new Error(`${name} v${version} is still publishing`);
  }

  return { as, fetchText, upload, publish };
}
