import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RETRY_POLICY, retryDelaySeconds } from '../cli/retry-after';

/** Named apart from the seed's `mnist`, so the seed's own create command still succeeds. */
export const DEMO_MODEL = 'demo-mnist';

const DEMO_BUNDLE = fileURLToPath(new URL('../models/demo/mnist.tar.gz', import.meta.url));

/** `created`: made now; `completed`: the caller's own demo model was missing steps, now done; `present`: nothing to do. */
export type SeedOutcome = 'created' | 'completed' | 'present';

/** What the seeding reads of the model (GET /model/{name}). */
interface ModelView {
  readonly owner: string;
  readonly visibility: 'private' | 'public';
  readonly latest_version: number | null;
}

/**
 * Sends one seeding request, waiting out a rate limit (MLHUB_RATE_LIMITS) as a client would.
 * Any other answer than 2xx, or than one of `accepted`, ends the seeding with the answer's words.
 */
async function send(url: string, token: string, method: string, body?: RequestInit['body'], contentType?: string, accepted: readonly number[] = []): Promise<Response> {
  for (let attempt = 1; ; attempt += 1) {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) };
    const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    const wait = response.status === 429 ? retryDelaySeconds(response.headers.get('retry-after'), attempt, DEFAULT_RETRY_POLICY) : undefined;
    if (wait !== undefined) {
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      continue;
    }
    if (!response.ok && !accepted.includes(response.status)) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
    return response;
  }
}

const upload = async (model: string, token: string) => send(`${model}/upload`, token, 'POST', await readFile(DEMO_BUNDLE), 'application/octet-stream');
const makePublic = (model: string, token: string) => send(`${model}/access`, token, 'PUT', JSON.stringify({ visibility: 'public' }), 'application/json');

/**
 * Brings a demo model that already exists to what seeding makes: the caller's own gets whatever
 * an interrupted seeding left undone (its bundle, its visibility); another user's is left alone,
 * and is reported unless anyone can predict with it.
 */
async function finishExisting(baseUrl: string, token: string): Promise<SeedOutcome> {
  const model = `${baseUrl}/model/${DEMO_MODEL}`;
  const found = await send(model, token, 'GET', undefined, undefined, [404]);
  if (found.status === 404) throw new Error(`${DEMO_MODEL} already exists as another user's private model; the demo cannot be published under that name here`);
  const view = await found.json() as ModelView;
  const me = (await (await send(`${baseUrl}/me`, token, 'GET')).json() as { user: string }).user;
  if (view.owner !== me) {
    if (view.visibility === 'public' && view.latest_version !== null) return 'present';
    throw new Error(`${DEMO_MODEL} already exists as another user's model (${view.owner}) that is not ready for predictions by everyone`);
  }
  const missing = [view.latest_version === null, view.visibility !== 'public'];
  if (missing[0]) await upload(model, token);
  if (missing[1]) await makePublic(model, token);
  return missing.some(Boolean) ? 'completed' : 'present';
}

/**
 * Publishes the demo digit classifier through MLHub's own API, as the caller: create the model,
 * upload its bundle, make it public. Run again after an interruption, it finishes the job.
 */
export async function seedDemoModel(baseUrl: string, token: string): Promise<SeedOutcome> {
  const model = `${baseUrl}/model/${DEMO_MODEL}`;
  const created = await send(model, token, 'POST', JSON.stringify({
    type: 'ONNX',
    description: 'Demo handwritten-digit classifier (28×28 grey images, digits 0-9), trained by scripts/models/make-demo-model.ts',
    meta: { input: 'pixels [N, 1, 28, 28] in 0..1', output: 'probabilities [N, 10]', source: 'models/demo' },
  }), 'application/json', [409]);
  if (created.status === 409) return finishExisting(baseUrl, token);
  await upload(model, token);
  await makePublic(model, token);
  return 'created';
}
