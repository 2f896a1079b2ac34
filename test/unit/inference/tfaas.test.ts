import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageInput } from '../../../functions/inference/predict-input';
import { encodePng, patternImage } from '../../support/inference/images';
import { startProtocolServer, type ProtocolServer, type ReceivedRequest, type Reply } from '../../support/inference/protocol-server';
import { jsonBody, remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';

/** Reads the parts of a multipart/form-data body: name → {filename, type, content}. */
function formParts(request: ReceivedRequest): Map<string, { filename?: string; type?: string; content: Buffer }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(request.headers['content-type'] ?? '');
  const delimiter = Buffer.from(`--${boundary?.[1] ?? boundary?.[2]}`);
  const parts = new Map<string, { filename?: string; type?: string; content: Buffer }>();
  let start = request.body.indexOf(delimiter) + delimiter.length;
  for (;;) {
    const end = request.body.indexOf(delimiter, start);
    if (end < 0) break;
    const part = request.body.subarray(start + 2, end - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const name = /name="([^"]+)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]+)"/.exec(head)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    parts.set(name, { ...(filename ? { filename } : {}), ...(type ? { type } : {}), content: part.subarray(split + 4) });
    start = end + delimiter.length;
  }
  return parts;
}

/**
 * A TFaaS stand-in for the seed's backend: `POST /json` takes `{"keys", "values", "model"}` and
 * answers the output vector; `POST /image` takes a multipart `image` and `model` and answers
 * `{"filename", "labels": [{"label", "probability"}]}` best first.
 */
function tfaas(request: ReceivedRequest): Reply {
  if (request.path.endsWith('/json')) {
    const row = jsonBody(request.body) as { values: number[] };
    const total = row.values.reduce((sum, value) => sum + value, 0);
    return { json: row.values.map((value) => value / total) };
  }
  const image = formParts(request).get('image');
  const seven = image ? 0.5 + (image.content.length % 40) / 100 : 0;
  return { json: { filename: 'input', labels: [{ label: '7', probability: seven }, { label: '1', probability: 1 - seven }] } };
}

describe('TFaaS adapter', () => {
  let server: ProtocolServer;
  let fixture: RemoteFixture;

  beforeAll(async () => {
    server = await startProtocolServer(tfaas);
    fixture = await remoteFixture({ labels: ['signal', 'background'] });
  });

  afterAll(async () => {
    await server.close();
    await fixture.remove();
  });

  it('sends each row to /json as keys and values with the model name, and labels the answer', async () => {
    const before = server.requests.length;
    const result = await fixture.predict({ kind: 'tfaas', url: server.url, model: 'luca' }, fixture.json({ input: [[1, 3], [2, 2]] }));
    const sent = server.requests.slice(before);
    expect(sent.map((request) => request.path)).toEqual(['/json', '/json']);
    expect(sent.map((request) => jsonBody(request.body))).toEqual([
      { keys: ['x0', 'x1'], values: [1, 3], model: 'luca' },
      { keys: ['x0', 'x1'], values: [2, 2], model: 'luca' },
    ]);
    expect(result.predictions).toEqual([
      { output: [0.25, 0.75], label: 'background', probability: 0.75 },
      { output: [0.5, 0.5], label: 'signal', probability: 0.5 },
    ]);
  });

  it('accepts TFaaS\'s own {"keys", "values"} body and sends named scalars as keys', async () => {
    const before = server.requests.length;
    await fixture.predict({ kind: 'tfaas', url: server.url }, fixture.json({ keys: ['a', 'b'], values: [1.5, 2] }));
    await fixture.predict({ kind: 'tfaas', url: server.url }, fixture.json({ inputs: { pt: 3, eta: 1 } }));
    const [plain, named] = server.requests.slice(before).map((request) => jsonBody(request.body));
    expect(plain).toEqual({ keys: ['x0', 'x1'], values: [1.5, 2], model: 'remote' });
    expect(named).toEqual({ keys: ['pt', 'eta'], values: [3, 1], model: 'remote' });
  });

  it('posts an image to /image as a multipart form, under the URL\'s path prefix', async () => {
    const bytes = encodePng(patternImage(12, 12, 1));
    const result = await fixture.predict({ kind: 'tfaas', url: `${server.url}/predict`, model: 'mnist' }, parseImageInput(bytes, 'image/png', fixture.config.limits));
    const request = server.requests[server.requests.length - 1]!;
    expect(request.path).toBe('/predict/image');
    expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const parts = formParts(request);
    expect(parts.get('image')?.filename).toBe('image.png');
    expect(parts.get('image')?.type).toBe('image/png');
    expect(parts.get('image')?.content.equals(bytes)).toBe(true);
    expect(parts.get('model')?.content.toString()).toBe('mnist');
    const seven = 0.5 + (bytes.length % 40) / 100;
    expect(result.predictions).toEqual([{ output: [{ label: '7', probability: seven }, { label: '1', probability: 1 - seven }], label: '7', probability: seven }]);
  });
});
