import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../functions/errors/app-error';
import { InferenceEngine } from '../../../functions/inference/inference-engine';
import { parseJsonInput } from '../../../functions/inference/predict-input';
import { BundleShelf, modelBundle, temporaryFolder } from '../../support/inference/bundles';
import { testConfig } from '../../support/inference/engine';
import { linearTestModel } from '../../support/inference/test-models';

const MODEL = linearTestModel({ inputName: 'x', inputShape: ['N', 8], outputName: 'y', features: 8, classes: 2, softmax: false, seed: 5 });

describe('a deadline that passes while a cold start still fetches the model', () => {
  let folder: Awaited<ReturnType<typeof temporaryFolder>>;
  beforeAll(async () => {
    folder = await temporaryFolder('mlhub-cold-start-');
  });
  afterAll(async () => {
    await folder.remove();
  });

  it('answers 504 saying that the first prediction downloads and unpacks the model within the same deadline', async () => {
    const shelf = new BundleShelf();
    const version = await shelf.add('models/slow/1/bundle.tar.gz', await modelBundle({ 'model.onnx': MODEL.onnx }));
    const config = testConfig(folder.path, { deadlineMs: 200 });
    // Storage that never sends a byte, as a large bundle on a slow stream looks within the deadline.
    const engine = new InferenceEngine({ config, openBundle: async () => new Readable({ read() {} }) });
    const error = await engine.predict({ model: { name: 'slow', type: 'ONNX', meta: {} }, version, input: parseJsonInput({ input: [1, 2, 3, 4, 5, 6, 7, 8] }, config.limits) })
      .then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'backend_timeout', kind: 'timeout' });
    expect((error as AppError).message).toMatch(new RegExp(`^The onnxruntime backend did not answer within 200 ms: the first prediction of slow v1 on a new function instance downloads and unpacks its ${MODEL.onnx.byteLength} bytes of model files within the same deadline`));
    expect((error as AppError).message).toMatch(/deploy it to a SageMaker endpoint/);
  });
});
