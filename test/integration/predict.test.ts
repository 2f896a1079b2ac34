import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL } from '../../local/demo-model';
import { getWithJsonBody } from '../support/get-with-body';
import { call, expectError, json, type JsonReply } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { displayedPosition, encodeJpeg, encodePng, enlarge, exifOrientationPayload, withApp1, type TestImage } from '../support/inference/images';
import { startProtocolServer, closedPort, type ProtocolServer } from '../support/inference/protocol-server';
import { argmax, linearScores, softmaxOf } from '../support/inference/reference';
import { divisionModel, linearTestModel, reshapeImageModel, squareModel, TYPED_INPUTS, typedInputsModel } from '../support/inference/test-models';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

interface Prediction { output?: number[]; outputs?: Record<string, unknown>; label?: string; probability?: number }
type PredictReply = JsonReply<{ model: string; version: number; predictions: Prediction[] }>;

let mlhub: RunningMlhub;
let tfServing: ProtocolServer;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const demoDigit = (digit: number, kind: 'png' | 'json') => readFile(new URL(`../../models/demo/images/img${digit}.${kind}`, import.meta.url));

function decodeGrey(png: Buffer): TestImage {
  const decoded = PNG.sync.read(png);
  const values = new Uint8Array(decoded.width * decoded.height);
  for (let i = 0; i < values.length; i += 1) values[i] = decoded.data[i * 4] as number;
  return { width: decoded.width, height: decoded.height, channels: 1, values };
}

/** A model MLHub has never seen: 4 × 4 grey images, 3 classes, with weights the test knows. */
const custom = linearTestModel({ inputName: 'x', inputShape: ['N', 16], outputName: 'scores', features: 16, classes: 3, softmax: false, seed: 11 });

beforeAll(async () => {
  tfServing = await startProtocolServer((request) => {
    const body = JSON.parse(request.body.toString()) as { instances: number[][] };
    // TF Serving's REST answer for the row form: one prediction per instance.
    return { status: 200, json: { predictions: body.instances.map((row) => [row.reduce((sum, value) => sum + value, 0)]) } };
  });
  mlhub = await startMlhub({ demo: true, env: { MLHUB_BACKEND_URL_ALLOWLIST: `${tfServing.url},http://127.0.0.1:*` } });
  await api('POST', '/model/custom', json({ type: 'onnx' }));
  const bundle = await modelBundle({ 'model.onnx': Buffer.from(custom.onnx), 'labels.txt': 'cat\ndog\nbird\n', 'params.json': JSON.stringify({ img_width: 4, img_height: 4, img_channels: 1, softmax: true }) });
  expect((await api('POST', '/model/custom/upload', { body: bundle, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
  // Models whose inputs and outputs test numbers and images; none has a params.json.
  for (const [name, files] of [
    ['typed', { 'model.onnx': typedInputsModel() }],
    ['division', { 'model.onnx': divisionModel(), 'labels.txt': 'a\nb\nc\n' }],
    ['square', { 'model.onnx': squareModel() }],
    ['reshape', { 'model.onnx': reshapeImageModel() }],
  ] as const) {
    await api('POST', `/model/${name}`, json({ type: 'onnx' }));
    const upload = await api('POST', `/model/${name}/upload`, { body: await modelBundle(files), headers: { 'content-type': 'application/octet-stream' } });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
  }
});

afterAll(async () => {
  await mlhub?.stop();
  await tfServing?.close();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('the demo model, published on first start', () => {
  it('reads every sample digit from its JSON vector, with the POST and the GET forms', async () => {
    for (const digit of [0, 3, 7]) {
      const body = await demoDigit(digit, 'json');
      for (const send of [postJson, getWithBody]) {
        const reply = (await send(`/model/${DEMO_MODEL}/predict`, body)) as PredictReply;
        expect(reply.status).toBe(200);
        expect(reply.body).toMatchObject({ model: DEMO_MODEL, version: 1 });
        expect(reply.body.predictions).toHaveLength(1);
        expect(reply.body.predictions[0]?.label).toBe(String(digit));
      }
    }
  });

  it("reads digits sent as the seed's image form, a multipart image, and a raw PNG", async () => {
    const png = await demoDigit(4, 'png');
    const seedForm = new FormData();
    seedForm.append('image', new Blob([png], { type: 'image/png' }), 'img4.png');
    expect(((await api('POST', `/model/${DEMO_MODEL}`, { body: seedForm })) as PredictReply).body.predictions[0]?.label).toBe('4');
    const form = new FormData();
    form.append('image', new Blob([png], { type: 'image/png' }), 'img4.png');
    expect(((await api('POST', `/model/${DEMO_MODEL}/predict`, { body: form })) as PredictReply).body.predictions[0]?.label).toBe('4');
    expect(((await api('POST', `/model/${DEMO_MODEL}/predict`, { body: png, headers: { 'content-type': 'image/png' } })) as PredictReply).body.predictions[0]?.label).toBe('4');
  });

  it('reads a JPEG at three times the model size', async () => {
    const big = encodeJpeg(enlarge(decodeGrey(await demoDigit(9, 'png')), 3));
    const reply = (await api('POST', `/model/${DEMO_MODEL}/predict`, { body: big, headers: { 'content-type': 'image/jpeg' } })) as PredictReply;
    expect(reply.body.predictions[0]?.label).toBe('9');
  });
});

describe('a model uploaded in the test', () => {
  const row = (seed: number) => Array.from({ length: 16 }, (_, i) => ((i * 7 + seed * 5) % 11) / 10);
  // The model gives raw scores; params.json asks for softmax, which only the label's probability uses.
  const reference = (features: number[]) => linearScores(features, custom.weights, custom.bias);

  it('predicts a vector and a batch as the reference computes them', async () => {
    const one = (await api('POST', '/model/custom/predict', json({ input: row(1) }))) as PredictReply;
    expect(one.status).toBe(200);
    expectClose(one.body.predictions[0]?.output ?? [], reference(row(1)));
    const batch = (await api('POST', '/model/custom/predict', json({ input: [row(1), row(2), row(3)] }))) as PredictReply;
    expect(batch.body.predictions).toHaveLength(3);
    batch.body.predictions.forEach((prediction, i) => {
      const expected = reference(row(i + 1));
      expectClose(prediction.output ?? [], expected);
      expect(prediction.label).toBe(['cat', 'dog', 'bird'][argmax(expected)]);
      expect(prediction.probability).toBeCloseTo(Math.max(...softmaxOf(expected)), 4);
    });
  });

  it('predicts named inputs', async () => {
    const reply = (await api('POST', '/model/custom/predict', json({ inputs: { x: [row(4)] } }))) as PredictReply;
    expectClose(reply.body.predictions[0]?.output ?? [], reference(row(4)));
  });

  it('predicts a PNG at twice the model size, scaled by 1/255', async () => {
    const image: TestImage = { width: 4, height: 4, channels: 1, values: Uint8Array.from({ length: 16 }, (_, i) => i * 16) };
    const reply = (await api('POST', '/model/custom/predict', { body: encodePng(enlarge(image, 2)), headers: { 'content-type': 'image/png' } })) as PredictReply;
    expectClose(reply.body.predictions[0]?.output ?? [], reference(Array.from(image.values, (value) => value / 255)));
  });
});

describe('prediction failures', () => {
  it('answers input of the wrong shape with 400 naming what the model expects', async () => {
    expectError(await api('POST', '/model/custom/predict', json({ input: [1, 2, 3] })), 400, 'invalid_input', /16/);
    expectError(await api('POST', '/model/custom/predict', json({ rows: [1] })), 400, 'invalid_input');
    expectError(await api('POST', '/model/custom/predict', { body: '{"input": [1,', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  });

  it('answers a model with nothing to run with 409, and unknown models and versions with 404', async () => {
    await api('POST', '/model/empty', json({ type: 'onnx' }));
    expectError(await api('POST', '/model/empty/predict', json({ input: [1] })), 409, 'no_ready_bundle');
    expectError(await api('POST', '/model/custom/predict?version=9', json({ input: [1] })), 404, 'version_not_found');
    expectError(await api('POST', '/model/nobody/predict', json({ input: [1] })), 404, 'model_not_found');
  });

  it('answers oversized input with 413 and other media with 415', async () => {
    expectError(await api('POST', '/model/custom/predict', { body: Buffer.alloc(5 * 1024 * 1024, 1), headers: { 'content-type': 'image/png' } }), 413, 'payload_too_large');
    expectError(await api('POST', '/model/custom/predict', { body: 'a,b', headers: { 'content-type': 'text/csv' } }), 415, 'unsupported_media_type');
  });

  it('runs a model served by TF Serving, and answers 502 naming the backend, not its address, when it is down', async () => {
    // Every prediction runs on a ready version, even when the weights are served elsewhere.
    const savedModel = await modelBundle({ 'saved_model.pb': 'graph' });
    const upload = (name: string) => api('POST', `/model/${name}/upload`, { body: savedModel, headers: { 'content-type': 'application/octet-stream' } });
    await api('POST', '/model/remote', json({ type: 'tf', meta: { backend: { kind: 'tfserving', url: tfServing.url, model: 'half_plus' } } }));
    await upload('remote');
    const reply = (await api('POST', '/model/remote/predict', json({ input: [[1, 2], [3, 4]] }))) as PredictReply;
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.predictions.map((prediction) => prediction.output)).toEqual([[3], [7]]);
    expect(tfServing.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/models/half_plus:predict' });

    const down = `http://127.0.0.1:${await closedPort()}`;
    await api('POST', '/model/remote-down', json({ type: 'tf', meta: { backend: { kind: 'tfserving', url: down } } }));
    await upload('remote-down');
    const failed = await api('POST', '/model/remote-down/predict', json({ input: [[1, 2]] }));
    expectError(failed, 502, 'backend_unavailable', /TF Serving|tfserving/i);
    expect(JSON.stringify(failed.body)).not.toContain(down.split('//')[1]);
  });
});

describe('numbers in prediction input', () => {
  const validInputs = (): Record<string, unknown[][]> => Object.fromEntries(TYPED_INPUTS.map((type) => [`in_${type}`, type === 'bool' ? [[true, false]] : [[1, 2]]]));
  const send = (inputs: Record<string, unknown>) => api('POST', '/model/typed/predict', json({ inputs }));

  it('refuses, for every input type, a value the type cannot hold with 400 naming the input, row and position', async () => {
    const cases: [string, number, string][] = [
      ['float32', 1e39, '1e+39'], ['float32', -1e39, '-1e+39'], ['int32', 2 ** 31, '2147483648'], ['int64', 2 ** 53, '9007199254740992'],
      ['uint8', 256, '256'], ['uint8', -1, '-1'], ['int32', 0.5, '0.5'], ['bool', 2, '2'],
    ];
    for (const [type, value, shown] of cases) {
      const inputs = validInputs();
      inputs[`in_${type}`] = [[1, 1], [1, value]];
      for (const other of TYPED_INPUTS.filter((each) => each !== type)) inputs[`in_${other}`] = [...inputs[`in_${other}`]!, ...inputs[`in_${other}`]!];
      expectError(await send(inputs), 400, 'invalid_input', new RegExp(`inputs\\.in_${type}\\[1\\]\\[1\\] is ${shown.replace('+', '\\+')}`));
    }
  });

  it('refuses non-finite values with 400 naming the position: strings, and literals past a double', async () => {
    const body = (text: string) => api('POST', '/model/reshape/predict', { body: text, headers: { 'content-type': 'application/json' } });
    const rows = (last: string) => `{"input": [${[0, 1, 2, 3].map((row) => `[${new Array(16).fill('0').map((zero, i) => (row === 3 && i === 15 ? last : zero)).join(',')}]`).join(',')}]}`;
    expectError(await body(rows('"NaN"')), 400, 'invalid_input', /input\[3\]\[15\] is the string "NaN"/);
    expectError(await body(rows('"-Infinity"')), 400, 'invalid_input', /input\[3\]\[15\] is the string "-Infinity"/);
    expectError(await body(rows('1e400')), 400, 'invalid_input', /input\[3\]\[15\] is beyond the range of any number type/);
    expectError(await body(rows('1e39')), 400, 'invalid_input', /input\[3\]\[15\] is 1e\+39.*float32/);
    // TF Serving's row format names its rows the same way.
    expectError(await body(rows('1e39').replace('"input"', '"instances"')), 400, 'invalid_input', /instances\[3\]\[15\] is 1e\+39/);
  });
});

describe('numbers in prediction output', () => {
  it('sends NaN and ±Infinity as the strings "NaN", "Infinity" and "-Infinity", with no label chosen from them', async () => {
    const reply = (await api('POST', '/model/division/predict', json({ inputs: { x: [[1, -1, 0], [1, 2, 3]], d: [[0, 0, 0], [1, 1, 1]] } }))) as JsonReply<{ predictions: Prediction[] }>;
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.predictions[0]).toEqual({ output: ['Infinity', '-Infinity', 'NaN'] });
    expect(reply.body.predictions[1]).toMatchObject({ output: [1, 2, 3], label: 'c' });
  });

  it('sends int64 values past 2^53 as exact decimal strings, and smaller ones as numbers', async () => {
    const response = await fetch(`${mlhub.url}/model/square/predict`, { method: 'POST', ...json({ input: [[3037000499], [3]] }) });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    // Read as text too: a number past 2^53 would already be rounded by JSON.parse.
    expect(text).toContain('"square":["9223372030926249001"]');
    expect(text).toContain('"negative":["-9223372030926249001"]');
    expect(text).toContain('"square":[9]');
  });
});

describe('images', () => {
  const fixture = (name: string) => readFile(new URL(`../fixtures/exif/${name}`, import.meta.url));
  const brightest = (reply: PredictReply): number => {
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const values = reply.body.predictions[0]?.output ?? [];
    return values.indexOf(Math.max(...values));
  };
  const sendJpeg = (body: Buffer) => api('POST', '/model/reshape/predict', { body, headers: { 'content-type': 'image/jpeg' } }) as Promise<PredictReply>;

  it('applies the EXIF orientation before resizing, as phones and viewers expect', async () => {
    expect(brightest(await sendJpeg(await fixture('exif_none.jpg')))).toBe(0);
    expect(brightest(await sendJpeg(await fixture('exif_orient6.jpg')))).toBe(3);
    const form = new FormData();
    form.append('image', new Blob([await fixture('exif_orient6.jpg')], { type: 'image/jpeg' }), 'phone.jpg');
    expect(brightest((await api('POST', '/model/reshape/predict', { body: form })) as PredictReply)).toBe(3);
  });

  it('turns each of the 8 orientations, and reads malformed EXIF as no orientation', async () => {
    // One white pixel at stored (1, 0) of a 4 × 4 image lands on a different place for each orientation.
    const stored: TestImage = { width: 4, height: 4, channels: 1, values: Uint8Array.from({ length: 16 }, (_, i) => (i === 1 ? 255 : 0)) };
    const plain = encodeJpeg(stored, 100);
    for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const at = displayedPosition(1, 0, 4, 4, orientation);
      expect(brightest(await sendJpeg(withApp1(plain, exifOrientationPayload(orientation, orientation % 2 ? 'II' : 'MM'))))).toBe(at.y * 4 + at.x);
    }
    for (const payload of [Buffer.from('Exif\0\0MM\0', 'latin1'), exifOrientationPayload(9), exifOrientationPayload(6).subarray(0, 20)]) {
      expect(brightest(await sendJpeg(withApp1(plain, payload)))).toBe(1);
    }
  });

  it('answers 400 for an image sent to a model whose input is not an image', async () => {
    const png = encodePng({ width: 4, height: 4, channels: 1, values: new Uint8Array(16) });
    expectError(await api('POST', '/model/square/predict', { body: png, headers: { 'content-type': 'image/png' } }), 400, 'image_not_accepted', /'x' has shape \[N, 1\].*takes no image/);
    const form = new FormData();
    form.append('image', new Blob([encodeJpeg({ width: 4, height: 4, channels: 1, values: new Uint8Array(16) })], { type: 'image/jpeg' }), 'photo.jpg');
    expectError(await api('POST', '/model/square/predict', { body: form }), 400, 'image_not_accepted');
  });

  it('answers 415 naming PNG and JPEG for any other image, or one labelled as the other format', async () => {
    const jpg = encodeJpeg({ width: 4, height: 4, channels: 1, values: new Uint8Array(16) });
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
    const webp = Buffer.concat([Buffer.from('RIFF\x1a\x00\x00\x00WEBPVP8L', 'latin1'), Buffer.alloc(14)]);
    const bmp = Buffer.concat([Buffer.from('BM', 'latin1'), Buffer.alloc(60)]);
    const cases: [Buffer, string, RegExp][] = [
      [gif, 'image/gif', /is a GIF file/],
      [webp, 'image/webp', /is a WebP file/],
      [bmp, 'image/bmp', /is a BMP file/],
      [Buffer.from('garbage, not pixels'), 'image/png', /neither PNG nor JPEG \(sent as image\/png\)/],
      [jpg, 'image/png', /sent as image\/png, but its bytes are a JPEG file/],
      [gif, 'Image/JPEG; charset=binary', /is a GIF file \(sent as image\/jpeg\)/],
    ];
    for (const [body, type, message] of cases) {
      const reply = await api('POST', '/model/reshape/predict', { body, headers: { 'content-type': type } });
      expectError(reply, 415, 'unsupported_image_type', message);
      const text = (reply.body as { error: { message: string } }).error.message;
      expect(text).toContain('MLHub reads PNG (image/png) and JPEG (image/jpeg) images');
      expect(text).not.toMatch(/a image|file that is not PNG or JPEG/);
    }
    const form = new FormData();
    form.append('image', new Blob([gif], { type: 'image/gif' }), 'cat.gif');
    expectError(await api('POST', '/model/reshape/predict', { body: form }), 415, 'unsupported_image_type', /GIF.*MLHub reads PNG/);
  });
});

const postJson = (path: string, body: Buffer) => api('POST', path, { body, headers: { 'content-type': 'application/json' } });

const getWithBody = (path: string, body: Buffer) => getWithJsonBody(mlhub.url, path, body);

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i] as number, 4));
}
