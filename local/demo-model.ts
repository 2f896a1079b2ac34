import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RETRY_POLICY, retryDelaySeconds } from '../cli/retry-after';

/** Named apart from the seed's `mnist`, so the seed's own create command still succeeds. */
export const DEMO_MODEL = 'demo-mnist';

const DEMO_BUNDLE = fileURLToPath(new URL('../models/demo/mnist.tar.gz', import.meta.url));

export type SeedOutcome = 'created' | 'present';

/** Sends one seeding request, waiting out a rate limit (MLHUB_RATE_LIMITS) as a client would. */
async function send(url: string, token: string, method: string, body: RequestInit['body'], contentType: string): Promise<Response> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(url, { method, body, headers: { authorization: `Bearer ${token}`, 'content-type': contentType } });
    const wait = response.status === 429 ? retryDelaySeconds(response.headers.get('retry-after'), attempt, DEFAULT_RETRY_POLICY) : undefined;
    if (wait !== undefined) {
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      continue;
    }
    if (!response.ok && response.status !== 409) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
    return response;
  }
}

/**
 * Publishes the demo digit classifier through MLHub's own API, as the user `local` would:
 * create the model, upload its bundle, make it public. A model already there is left alone.
 */
export async function seedDemoModel(baseUrl: string, token: string): Promise<SeedOutcome> {
  const model = `${baseUrl}/model/${DEMO_MODEL}`;
  const created = await send(model, token, 'POST', JSON.stringify({
    type: 'ONNX',
    description: 'Demo handwritten-digit classifier (28×28 grey images, digits 0-9), trained by scripts/models/make-demo-model.ts',
    meta: { input: 'pixels [N, 1, 28, 28] in 0..1', output: 'probabilities [N, 10]', source: 'models/demo' },
  }), 'application/json');
  if (created.status === 409) return 'present';
  await send(`${model}/upload`, token, 'POST', await readFile(DEMO_BUNDLE), 'application/octet-stream');
  await send(`${model}/access`, token, 'PUT', JSON.stringify({ visibility: 'public' }), 'application/json');
  return 'created';
}
