import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProtocolServer, type ProtocolServer, type ReceivedRequest, type Reply } from '../../support/inference/protocol-server';
import { jsonBody, rejectionOf, remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';

interface RequestInput {
  name: string;
  shape: number[];
  datatype: string;
  data: number[];
}

/**
 * An MLServer-like stand-in speaking the Open Inference Protocol's REST shapes: `inputs` of
 * name/shape/datatype/data in, `outputs` the same way out, `{"error"}` on failure. Its sklearn-
 * style "classifier" predicts the index of each row's largest feature and the row's softmax-free
 * share of each feature as probabilities; for named inputs it answers nested data, as allowed.
 */
function mlserver(request: ReceivedRequest): Reply {
  const { inputs } = jsonBody(request.body) as { inputs: RequestInput[] };
  if (inputs.some((input) => input.name === 'bad')) return { status: 400, json: { error: 'Input "bad" not found in model metadata' } };
  if (inputs.length === 1) {
    const [input] = inputs as [RequestInput];
    const [rows = 1, width = 1] = input.shape;
    const rowValues = Array.from({ length: rows }, (_, row) => input.data.slice(row * width, (row + 1) * width));
    const totals = rowValues.map((values) => values.reduce((sum, value) => sum + value, 0));
    return {
      json: {
        model_name: 'iris', model_version: 'v1', id: 'abc',
        outputs: [
          { name: 'predict', shape: [rows], datatype: 'INT64', data: rowValues.map((values) => values.indexOf(Math.max(...values))) },
          { name: 'predict_proba', shape: [rows, width], datatype: 'FP64', data: rowValues.flatMap((values, row) => values.map((value) => value / totals[row]!)) },
        ],
      },
    };
  }
  const sum = inputs[0]!.data.map((value, index) => value + (inputs[1]!.data[index] ?? 0));
  return { json: { model_name: 'adder', outputs: [{ name: 'sum', shape: [inputs[0]!.shape[0]!, 2], datatype: 'FP64', data: [[sum[0], sum[1]], [sum[2], sum[3]]] }] } };
}

describe('Open Inference Protocol (v2) adapter', () => {
  let server: ProtocolServer;
  let fixture: RemoteFixture;

  beforeAll(async () => {
    server = await startProtocolServer(mlserver);
    fixture = await remoteFixture({ labels: ['setosa', 'versicolor', 'virginica'], params: { output_name: 'predict_proba' } });
  });

  afterAll(async () => {
    await server.close();
    await fixture.remove();
  });

  const lastRequest = (): ReceivedRequest => server.requests[server.requests.length - 1]!;

  it('sends a batch as one typed, shaped input and splits every output by row', async () => {
    const rows = [[1, 2, 1], [4, 1, 3]];
    const result = await fixture.predict({ kind: 'mlserver', url: server.url, model: 'iris' }, fixture.json({ input: rows }), 'ScikitLearn');
    expect(lastRequest().method).toBe('POST');
    expect(lastRequest().path).toBe('/v2/models/iris/infer');
    expect(lastRequest().headers['content-type']).toBe('application/json');
    expect(jsonBody(lastRequest().body)).toEqual({ inputs: [{ name: 'input-0', shape: [2, 3], datatype: 'FP32', data: [1, 2, 1, 4, 1, 3] }] });
    expect(result.predictions).toEqual([
      { outputs: { predict: 1, predict_proba: [0.25, 0.5, 0.25] }, label: 'versicolor', probability: 0.5 },
      { outputs: { predict: 0, predict_proba: [0.5, 0.125, 0.375] }, label: 'setosa', probability: 0.5 },
    ]);
  });

  it('sends named inputs with the spec\'s datatype to a version, and reads nested output data', async () => {
    const spec = { kind: 'oip', url: server.url, model: 'adder', version: 2, datatype: 'fp64' };
    const result = await fixture.predict(spec, fixture.json({ inputs: { x: [[1, 2], [3, 4]], y: [[10, 20], [30, 40]] } }));
    expect(lastRequest().path).toBe('/v2/models/adder/versions/2/infer');
    expect(jsonBody(lastRequest().body)).toEqual({
      inputs: [
        { name: 'x', shape: [2, 2], datatype: 'FP64', data: [1, 2, 3, 4] },
        { name: 'y', shape: [2, 2], datatype: 'FP64', data: [10, 20, 30, 40] },
      ],
    });
    expect(result.predictions).toEqual([{ output: [11, 22] }, { output: [33, 44] }]);
  });

  it('names the single input from the spec', async () => {
    await fixture.predict({ kind: 'triton', url: server.url, model: 'iris', input_name: 'features' }, fixture.json({ input: [5, 6] }));
    expect(jsonBody(lastRequest().body)).toEqual({ inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: [5, 6] }] });
  });

  it('passes the server\'s error on as 400', async () => {
    const error = await rejectionOf(fixture.predict({ kind: 'kserve', url: server.url, model: 'iris' }, fixture.json({ inputs: { bad: [1] } })));
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain('The oip backend rejected the input: Input "bad" not found');
  });
});
