import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageInput } from '../../../functions/inference/predict-input';
import { encodePng, patternImage } from '../../support/inference/images';
import { startProtocolServer, type ProtocolServer, type ReceivedRequest, type Reply } from '../../support/inference/protocol-server';
import { jsonBody, rejectionOf, remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';
import { flattenNumbers } from '../../../functions/inference/tensor';

/** The stand-in's "model": [sum/8, max/8, 1 - (sum+max)/8], a distribution for small inputs, so rows differ. */
const score = (instance: unknown): number[] => {
  const values = flattenNumbers(instance) ?? [];
  const sum = values.reduce((total, value) => total + value, 0);
  const max = Math.max(...values);
  return [sum / 8, max / 8, 1 - (sum + max) / 8];
};

/**
 * A TF Serving stand-in for the REST API's documented shapes: the row format answers one
 * prediction per instance, the columnar format answers `outputs`; errors are `{"error": ...}`.
 */
function tfServing(request: ReceivedRequest): Reply {
  const body = jsonBody(request.body) as Record<string, unknown>;
  if (body.signature_name === 'broken') return { status: 400, json: { error: 'Expected tensor of shape [?,3] at http://10.0.0.5:8501/v1/internal' } };
  if (Array.isArray(body.instances)) {
    if (request.path.includes('/versions/')) return { json: { predictions: body.instances.map((instance) => ({ scores: score(instance), id: 7 })) } };
    return { json: { predictions: body.instances.map(score) } };
  }
  const inputs = body.inputs as Record<string, number[][]>;
  return { json: { outputs: { total: Object.values(inputs)[0]!.map((row, index) => [row.reduce((a, b) => a + b, 0) + (Object.values(inputs)[1]?.[index]?.[0] ?? 0)]), first: Object.values(inputs)[0]!.map((row) => row[0]) } } };
}

describe('TF Serving REST adapter', () => {
  let server: ProtocolServer;
  let fixture: RemoteFixture;

  beforeAll(async () => {
    server = await startProtocolServer(tfServing);
    fixture = await remoteFixture({ labels: ['low', 'mid', 'high'], params: { img_width: 2, img_height: 2, img_channels: 1 } });
  });

  afterAll(async () => {
    await server.close();
    await fixture.remove();
  });

  const lastRequest = (): ReceivedRequest => server.requests[server.requests.length - 1]!;

  it('sends one vector as a single instance and labels the answer', async () => {
    const result = await fixture.predict({ kind: 'tfserving', url: server.url, model: 'mnist' }, fixture.json({ input: [1, 2, 0.5] }));
    expect(lastRequest().method).toBe('POST');
    expect(lastRequest().path).toBe('/v1/models/mnist:predict');
    expect(lastRequest().headers['content-type']).toBe('application/json');
    expect(jsonBody(lastRequest().body)).toEqual({ instances: [[1, 2, 0.5]] });
    const expected = score([1, 2, 0.5]);
    expect(result).toEqual({ model: 'remote', version: 1, predictions: [{ output: expected, label: 'low', probability: expected[0] }] });
  });

  it('sends a batch as instances to a pinned version and signature, reading named outputs per row', async () => {
    const spec = { kind: 'tf-serving', url: `${server.url}/`, model: 'iris', version: 3, signature_name: 'serving_default' };
    const result = await fixture.predict(spec, fixture.json({ input: [[1, 1], [2, 3]] }));
    expect(lastRequest().path).toBe('/v1/models/iris/versions/3:predict');
    expect(jsonBody(lastRequest().body)).toEqual({ signature_name: 'serving_default', instances: [[1, 1], [2, 3]] });
    expect(result.predictions).toHaveLength(2);
    const [first, second] = [score([1, 1]), score([2, 3])];
    expect(result.predictions[0]).toEqual({ outputs: { scores: first, id: 7 }, label: 'high', probability: first[2] });
    expect(result.predictions[1]).toEqual({ outputs: { scores: second, id: 7 }, label: 'low', probability: second[0] });
  });

  it('sends named inputs in the columnar format and splits the outputs by row', async () => {
    const result = await fixture.predict({ kind: 'tfserving', url: server.url, model: 'wide' }, fixture.json({ inputs: { a: [[1, 2], [3, 4]], b: [[10], [20]] } }));
    expect(jsonBody(lastRequest().body)).toEqual({ inputs: { a: [[1, 2], [3, 4]], b: [[10], [20]] } });
    expect(result.predictions).toEqual([
      { outputs: { total: [13], first: 1 } },
      { outputs: { total: [27], first: 3 } },
    ]);
  });

  it('sends named inputs row by row when the spec asks for instances', async () => {
    await fixture.predict({ kind: 'tfserving', url: server.url, model: 'wide', format: 'instances' }, fixture.json({ inputs: { a: [[1, 2], [3, 4]], b: [5, 6] } }));
    expect(jsonBody(lastRequest().body)).toEqual({ instances: [{ a: [1, 2], b: 5 }, { a: [3, 4], b: 6 }] });
  });

  it('preprocesses an image as params.json says and sends it as an NHWC instance', async () => {
    const picture = patternImage(2, 2, 1, 5);
    await fixture.predict({ kind: 'tfserving', url: server.url, model: 'mnist' }, parseImageInput(encodePng(picture), 'image/png', fixture.config.limits));
    const [p0, p1, p2, p3] = Array.from(picture.values, (value) => value / 255);
    const sent = jsonBody(lastRequest().body) as { instances: unknown[] };
    expect(sent.instances).toHaveLength(1);
    // One 2×2 image with one channel, row by row: [[[p0], [p1]], [[p2], [p3]]].
    expect(sent.instances[0]).toEqual([[[expect.closeTo(p0!, 6)], [expect.closeTo(p1!, 6)]], [[expect.closeTo(p2!, 6)], [expect.closeTo(p3!, 6)]]]);
  });

  it('passes the model\'s complaint on as 400, without addresses', async () => {
    const error = await rejectionOf(fixture.predict({ kind: 'tfserving', url: server.url, model: 'mnist', signature_name: 'broken' }, fixture.json({ input: [1] })));
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain('Expected tensor of shape [?,3]');
    expect(error.message).not.toContain('10.0.0.5');
    expect(error.message).not.toContain(server.url);
  });
});
