import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { DEFAULT_BUNDLE_LIMITS } from '../../functions/bundles/bundle-limits';
import { inspectBundle } from '../../functions/bundles/inspect-bundle';
import { loadInferenceConfig } from '../../functions/inference/inference-config';
import { InferenceEngine } from '../../functions/inference/inference-engine';
import { parseJsonInput } from '../../functions/inference/predict-input';
import { makeTarGz } from '../../test/support/tarballs';

export interface AdapterFigures {
  readonly requests: number;
  readonly direct: { p50: number; p99: number };
  readonly adapter: { p50: number; p99: number };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * The cost of MLHub's TF Serving adapter alone: InferenceEngine.predict against a fake TF Serving
 * that answers at once, beside a plain fetch of the same request to the same server.
 */
export async function measureAdapter(seconds: number): Promise<AdapterFigures> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { instances } = JSON.parse(Buffer.concat(chunks).toString()) as { instances: number[][] };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ predictions: instances.map((row) => [row.length]) }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const row = Array.from({ length: 784 }, (_, i) => (i % 17) / 17);
  const engine = new InferenceEngine({
    config: loadInferenceConfig({ MLHUB_BACKEND_URL_ALLOWLIST: url }),
    openBundle: () => Promise.reject(new Error('a TF Serving model needs no bundle bytes')),
  });
  const inspected = await inspectBundle(Readable.from([await makeTarGz([{ name: 'saved_model.pb', content: 'graph' }])]), DEFAULT_BUNDLE_LIMITS);
  const version = { version: 1, sha256: inspected.sha256, bundleKey: 'models/bench/1/bundle.tar.gz', status: 'ready' as const, manifest: inspected.manifest };
  const model = { name: 'bench', type: 'TensorFlow' as const, meta: { backend: { kind: 'tfserving', url, model: 'bench' } } };
  const directBody = JSON.stringify({ instances: [row] });
  const viaAdapter = () => engine.predict({ model, version, input: parseJsonInput({ input: row }, { maxInputElements: 1e6 }) });
  const direct = async () => (await fetch(`${url}/v1/models/bench:predict`, { method: 'POST', body: directBody, headers: { 'content-type': 'application/json' } })).json();

  for (let i = 0; i < 200; i += 1) {
    await direct();
    await viaAdapter();
  }
  const samples = { direct: [] as number[], adapter: [] as number[] };
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    samples.direct.push(await timed(direct));
    samples.adapter.push(await timed(viaAdapter));
  }
  server.close();
  return {
    requests: samples.direct.length,
    direct: { p50: percentile(samples.direct, 50), p99: percentile(samples.direct, 99) },
    adapter: { p50: percentile(samples.adapter, 50), p99: percentile(samples.adapter, 99) },
  };
}
