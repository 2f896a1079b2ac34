import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageInput } from '../../../functions/inference/predict-input';
import type { ProtocolServer } from '../../support/inference/protocol-server';
import { remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';
import { testEngine } from '../../support/inference/engine';
import { call, closeTo, generateModels, requirePython, sagemakerRuntimeFor, startWorker, type GeneratedModels, type Worker } from '../../support/frameworks/python-worker';

/**
 * A TorchScript CNN on 1×28×28 input made by Debian's Python, served by serve.py running
 * pytorch/inference.py, predicted through MLHub's SageMaker backend and engine: vectors and
 * batches as JSON rows (reshaped by params.json's declared shape), and the seed's image form,
 * both as the image's own bytes (prepared by the script) and as MLHub's own preprocessed tensor.
 */

interface CnnExpected {
  readonly labels: string[];
  readonly vector: { readonly input: number[]; readonly output: number[] };
  readonly batch: { readonly input: number[][]; readonly outputs: number[][] };
  readonly image: { readonly files: string[]; readonly output: number[] };
}

requirePython(['numpy', 'torch']);

describe('pytorch worker serving a TorchScript CNN', () => {
  let models: GeneratedModels;
  let expected: CnnExpected;
  let worker: Worker;
  let server: ProtocolServer;
  let fixture: RemoteFixture;
  const json = { kind: 'sagemaker', endpoint: 'mnist-cnn', content_type: 'application/json' };

  beforeAll(async () => {
    models = await generateModels(['pytorch']);
    expected = await models.expected<CnnExpected>('mnist-cnn');
    worker = await startWorker({ framework: 'pytorch', modelDir: join(models.path, 'mnist-cnn') });
    const runtime = await sagemakerRuntimeFor(worker);
    server = runtime.server;
    const params = JSON.parse(await readFile(join(models.path, 'mnist-cnn', 'params.json'), 'utf8')) as Record<string, unknown>;
    fixture = await remoteFixture({ labels: expected.labels, params, engine: (config, shelf) => testEngine(shelf, config, runtime.client) });
  });

  afterAll(async () => {
    await worker?.stop();
    await server?.close();
    await fixture?.remove();
    await models?.remove();
  });

  const top = (scores: number[]): string => String(scores.indexOf(Math.max(...scores)));

  it('loads TorchScript without pickles (MLHUB_ALLOW_PICKLES=0) and answers /ping', async () => {
    expect(await call(worker, '/ping')).toMatchObject({ status: 200 });
  });

  it('predicts a 784-number vector reshaped to params.json\'s [1, 28, 28], logits as the model gives them', async () => {
    const result = await fixture.predict(json, fixture.json({ input: expected.vector.input }), 'PyTorch');
    expect(closeTo(result.predictions[0]!.output, expected.vector.output)).toEqual([]);
    // MLHub labels with softmax (params.json "softmax": true), as for the built-in runtime.
    expect(result.predictions[0]!.label).toBe(top(expected.vector.output));
    expect(result.predictions[0]!.probability).toBeGreaterThan(0);
    expect(result.predictions[0]!.probability).toBeLessThan(1);
  });

  it('predicts a batch row by row', async () => {
    const result = await fixture.predict(json, fixture.json({ input: expected.batch.input }), 'PyTorch');
    expect(closeTo(result.predictions.map((p) => p.output), expected.batch.outputs)).toEqual([]);
    expect(result.predictions.map((p) => p.label)).toEqual(expected.batch.outputs.map(top));
  });

  it('predicts the seed\'s image form sent as image bytes, at 28×28 and resized from 56×56', async () => {
    for (const file of expected.image.files) {
      const bytes = await readFile(join(models.path, file));
      for (const contentType of ['application/x-image', 'image/png']) {
        const result = await fixture.predict({ ...json, content_type: contentType }, parseImageInput(bytes, 'image/png', fixture.config.limits), 'PyTorch');
        expect({ file, contentType, errors: closeTo(result.predictions[0]!.output, expected.image.output) }).toEqual({ file, contentType, errors: [] });
        expect(result.predictions[0]!.label).toBe(top(expected.image.output));
      }
    }
  });

  it('gives the same answer when MLHub prepares the image itself and sends it as JSON', async () => {
    const bytes = await readFile(join(models.path, expected.image.files[0]!));
    const result = await fixture.predict(json, parseImageInput(bytes, 'image/png', fixture.config.limits), 'PyTorch');
    expect(closeTo(result.predictions[0]!.output, expected.image.output)).toEqual([]);
  });

  it('refuses rows of another size with 400, naming the declared shape', async () => {
    const answer = await call(worker, '/invocations', { body: JSON.stringify({ instances: [[1, 2, 3]] }), contentType: 'application/json' });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text).error.message).toContain('rows of shape [1, 28, 28] (784 values)');
  });

  it('answers 400 invalid_input with the interpreter\'s words when the graph cannot take the rows, not a 500 (review 14b finding 16)', async () => {
    // The same model with no declared shape: 784 numbers reach conv2d as one flat row.
    const flat = join(models.path, 'mnist-flat');
    await mkdir(flat, { recursive: true });
    await copyFile(join(models.path, 'mnist-cnn', 'model.pt'), join(flat, 'model.pt'));
    await writeFile(join(flat, 'params.json'), '{}');
    const other = await startWorker({ framework: 'pytorch', modelDir: flat });
    try {
      const answer = await call(other, '/invocations', { body: JSON.stringify({ instances: [expected.vector.input] }), contentType: 'application/json' });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text).error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/cannot run on this input: .*conv2d/) });
    } finally {
      await other.stop();
    }
  });

  it('refuses bytes that are no PNG or JPEG with 415', async () => {
    const answer = await call(worker, '/invocations', { body: Buffer.from('GIF89a....'), contentType: 'image/png' });
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.text).error.code).toBe('unsupported_image_type');
  });
});
