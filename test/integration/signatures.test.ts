import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { makeTarGz } from '../support/tarballs';

let mlhub: RunningMlhub;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const octets = (bytes: Buffer) => ({ body: bytes, headers: { 'content-type': 'application/octet-stream' } });

interface VersionAnswer { version: number; status: string; signature: unknown; signature_reason: string | null }

async function uploaded(name: string, type: string, bundle: Buffer): Promise<void> {
  expect((await api('POST', `/model/${name}`, json({ type }))).status).toBe(201);
  const reply = await api('POST', `/model/${name}/upload`, octets(bundle));
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
}

beforeAll(async () => {
  mlhub = await startMlhub();
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe("a model's signature over HTTP", () => {
  it('shows the demo model\'s inputs and outputs on GET /model/{name} and GET /model/{name}/versions/1', async () => {
    await uploaded('signed', 'onnx', await readFile(new URL('../../models/demo/mnist.tar.gz', import.meta.url)));
    const expected = {
      source: 'onnx',
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: ['N', 1, 28, 28] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['N', 10] }],
    };
    const model = (await api('GET', '/model/signed')).body as { versions: VersionAnswer[] };
    expect(model.versions).toEqual([expect.objectContaining({ version: 1, status: 'ready', signature: expected, signature_reason: null })]);
    const version = (await api('GET', '/model/signed/versions/1')).body as VersionAnswer;
    expect(version).toMatchObject({ signature: expected, signature_reason: null });
  });

  it("takes a remote model's signature from its params.json", async () => {
    const params = { inputs: [{ name: 'input-0', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'output-0', datatype: 'INT64', shape: [-1] }] };
    await uploaded('declared', 'pytorch', await makeTarGz([{ name: 'iris/model.pt', content: 'weights' }, { name: 'iris/params.json', content: JSON.stringify(params) }]));
    const version = (await api('GET', '/model/declared/versions/1')).body as VersionAnswer;
    expect(version).toMatchObject({
      status: 'ready',
      signature: { source: 'params.json', inputs: [{ name: 'input-0', datatype: 'FP32', shape: [null, 4] }], outputs: [{ name: 'output-0', datatype: 'INT64', shape: [null] }] },
      signature_reason: null,
    });
  });

  it("shows the seed's TFaaS params.json (names, no shapes) as unknown shapes, on the record and on the landing pages", async () => {
    await uploaded('tfaas', 'pytorch', await makeTarGz([{ name: 'm/model.pt', content: 'weights' }, { name: 'm/params.json', content: JSON.stringify({ input_name: 'x', output_name: 'y' }) }]));
    const version = (await api('GET', '/model/tfaas/versions/1')).body as VersionAnswer;
    expect(version.signature).toEqual({ source: 'params.json', inputs: [{ name: 'x', datatype: null, shape: null }], outputs: [{ name: 'y', datatype: null, shape: null }] });
    for (const path of ['/model/tfaas', '/model/tfaas/versions/1']) {
      const page = await fetch(`${mlhub.url}${path}`, { headers: { accept: 'text/html' } });
      expect(page.status, path).toBe(200);
      expect(await page.text()).toContain('<tr><td><code>x</code></td><td>unknown</td><td>unknown</td></tr>');
    }
  });

  it('makes the version ready with a null signature and the reason when the model file is no ONNX graph', async () => {
    await uploaded('unsigned', 'onnx', await makeTarGz([{ name: 'model.onnx', content: 'not really onnx, but bytes' }]));
    const version = (await api('GET', '/model/unsigned/versions/1')).body as VersionAnswer;
    expect(version).toMatchObject({ status: 'ready', signature: null, signature_reason: expect.stringMatching(/ONNX/) });
  });
});
