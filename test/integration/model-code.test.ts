import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/*
 * Multi-user npm start (MLHUB_AUTH=required) with model code left off, its default: a local
 * worker runs with MLHub's own rights, so neither a TorchScript graph (torch.from_file reads the
 * issuer's key) nor a pickle may be deployed, and the upload answer already says so (review 14b
 * findings 10 and 11). An XGBoost booster, data, still deploys.
 */

let mlhub: RunningMlhub;
let token = '';
const api = (method: string, path: string, init: Parameters<typeof call>[3] = {}) =>
  call<Record<string, unknown>>(mlhub.url, method, path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
const upload = (name: string, files: Record<string, string>) =>
  modelBundle(files).then((body) => api('POST', `/model/${name}/upload`, { body, headers: { 'content-type': 'application/octet-stream' } }));

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  token = await (await openLocalIssuer(mlhub.dataDir)).sign('bob');
}, 120_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('model code in multi-user mode, off by default', () => {
  it('says at upload that a TorchScript bundle runs nowhere here, naming MLHUB_ALLOW_MODEL_CODE, and deploy refuses it at once', async () => {
    expect((await api('POST', '/model/graph', json({ type: 'pytorch' }))).status).toBe(201);
    const uploaded = await upload('graph', { 'model.pt': 'x', 'params.json': JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }] }) });
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.serving).toEqual({ path: 'none', reason: expect.stringMatching(/TorchScript model is a program.*MLHUB_ALLOW_MODEL_CODE=1/) });
    expectError(await api('POST', '/model/graph/versions/1/deploy'), 409, 'not_deployable', /MLHUB_ALLOW_MODEL_CODE=1/);
    expectError(await api('GET', '/model/graph/versions/1/deploy'), 404, 'not_deployed');
  });

  it('does the same for a pickle', async () => {
    expect((await api('POST', '/model/pickled', json({ type: 'scikit-learn' }))).status).toBe(201);
    const uploaded = await upload('pickled', { 'model.joblib': 'x' });
    expect(uploaded.body.serving).toEqual({ path: 'none', reason: expect.stringMatching(/does not load pickles.*MLHUB_ALLOW_MODEL_CODE=1/) });
    expectError(await api('POST', '/model/pickled/versions/1/deploy'), 409, 'not_deployable', /pickle/);
  });

  it('leaves an XGBoost booster deployable', async () => {
    expect((await api('POST', '/model/booster', json({ type: 'xgboost' }))).status).toBe(201);
    const uploaded = await upload('booster', { 'model.ubj': 'x' });
    expect(uploaded.body.serving).toEqual({ path: 'deployable', framework: 'xgboost' });
  });
});
