import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError, json, type JsonReply } from '../support/http';
import { modelBundle } from '../support/inference/bundles';
import { startProtocolServer, type ProtocolServer, type ReceivedRequest } from '../support/inference/protocol-server';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/*
 * Two owners, one shared TF Serving host and one SageMaker account, each opened to models by a
 * per-model pattern only: `<tfs>/v1/models/{model}` and `mlhub-torch-{model}`. Each backend
 * answers with a number that says whose model it ran, so a prediction shows which one was reached.
 * On the same host, `<tfs>/secret` is assigned to alice's model `alice-m` alone (MLHUB_BACKEND_ASSIGNMENTS).
 */
const OWNERS = { ada: 'ada-net', bob: 'bob-net' } as const;
type Owner = keyof typeof OWNERS;
const TFS_ANSWER: Readonly<Record<string, number>> = { 'ada-net': 1, 'bob-net': 2 };
const SAGEMAKER_ANSWER: Readonly<Record<string, number>> = { 'mlhub-torch-ada-net': 10, 'mlhub-torch-bob-net': 20 };

type PredictReply = JsonReply<{ predictions: { output?: unknown }[] }>;

const ASSIGNED = 'alice-m';

let mlhub: RunningMlhub;
let savedModel: Buffer;
const users = new Map<string, string>();
let tfServing: ProtocolServer;
let sagemaker: ProtocolServer;
const sessions = new Map<Owner, string>();

const as = (owner: Owner, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<JsonReply> =>
  call(mlhub.url, method, path, { ...init, headers: { ...init.headers, authorization: sessions.get(owner) as string } });

/** One row of instances answered with the number of the model the path names (0 for any other). */
function answerFor(table: Readonly<Record<string, number>>, pattern: RegExp) {
  return (request: ReceivedRequest) => {
    const name = pattern.exec(request.path)?.[1] ?? '';
    const { instances } = JSON.parse(request.body.toString()) as { instances: unknown[] };
    return { status: 200, json: { predictions: instances.map(() => [table[name] ?? 0]) } };
  };
}

const setBackend = async (owner: Owner, backend: unknown): Promise<void> => {
  const reply = await as(owner, 'PUT', `/model/${OWNERS[owner]}`, json({ meta: { backend } }));
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
};

const predict = (owner: Owner) => as(owner, 'POST', `/model/${OWNERS[owner]}/predict`, json({ input: [[1, 2]] })) as Promise<PredictReply>;

beforeAll(async () => {
  tfServing = await startProtocolServer(answerFor(TFS_ANSWER, /^(?:\/secret)?\/v1\/models\/([^/:]+):predict$/));
  // SageMaker Runtime's InvokeEndpoint: POST /endpoints/{EndpointName}/invocations, the body as it is.
  sagemaker = await startProtocolServer(answerFor(SAGEMAKER_ANSWER, /^\/endpoints\/([^/]+)\/invocations$/));
  mlhub = await startMlhub({
    env: {
      MLHUB_AUTH: 'required',
      MLHUB_PREDICT_LOOKUP_CACHE_MS: '0',
      MLHUB_BACKEND_URL_ALLOWLIST: `${tfServing.url}/v1/models/{model}`,
      MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST: 'mlhub-torch-{model}',
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sagemaker.url,
      MLHUB_BACKEND_ASSIGNMENTS: JSON.stringify({ [ASSIGNED]: { owner: 'alice', backends: [`${tfServing.url}/secret`] } }),
    },
  });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  // Every prediction runs on a ready version, even when the weights are served elsewhere.
  savedModel = await modelBundle({ 'saved_model.pb': 'graph' });
  for (const user of ['alice', 'carol']) users.set(user, `Bearer ${await issuer.sign(user)}`);
  for (const owner of Object.keys(OWNERS) as Owner[]) {
    sessions.set(owner, `Bearer ${await issuer.sign(owner)}`);
    expect((await as(owner, 'POST', `/model/${OWNERS[owner]}`, json({ type: 'tf', meta: { backend: { kind: 'tfserving', url: tfServing.url } } }))).status).toBe(201);
    const upload = await as(owner, 'POST', `/model/${OWNERS[owner]}/upload`, { body: savedModel, headers: { 'content-type': 'application/octet-stream' } });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await mlhub?.stop();
  await tfServing?.close();
  await sagemaker?.close();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('two owners under one per-model pattern, over HTTP', () => {
  it('each owner reaches their own model on the shared TF Serving host', async () => {
    for (const owner of Object.keys(OWNERS) as Owner[]) {
      await setBackend(owner, { kind: 'tfserving', url: tfServing.url });
      const reply = await predict(owner);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(reply.body.predictions.map((prediction) => prediction.output)).toEqual([[TFS_ANSWER[OWNERS[owner]]]]);
      expect(tfServing.requests.at(-1)?.path).toBe(`/v1/models/${OWNERS[owner]}:predict`);
    }
  });

  it("refuses a model that names another owner's model on the shared host, however it spells it, before any request leaves", async () => {
    const before = tfServing.requests.length;
    for (const backend of [
      { kind: 'tfserving', url: tfServing.url, model: 'bob-net' },
      { kind: 'tfserving', url: `${tfServing.url}/v1/models/bob-net` },
      { kind: 'tfserving', url: `${tfServing.url}/v1/models/%62ob-net` },
      { kind: 'tfserving', url: `${tfServing.url}/v1/models/ada-net/../bob-net` },
    ]) {
      await setBackend('ada', backend);
      expectError(await predict('ada'), 409, 'backend_not_allowed', /^Model 'ada-net' names a tfserving backend at an address in meta\.backend, which this deployment reserves for another model/);
    }
    // A prefix of another's name is not one's own either.
    await setBackend('bob', { kind: 'tfserving', url: tfServing.url, model: 'bob' });
    expectError(await predict('bob'), 409, 'backend_not_allowed', /in meta\.backend, which this deployment reserves for another model/);
    // Nor is another server, unlisted.
    await setBackend('bob', { kind: 'tfserving', url: `http://localhost:${new URL(tfServing.url).port}` });
    expectError(await predict('bob'), 409, 'backend_not_allowed', /in meta\.backend, which this deployment does not allow: .*MLHUB_BACKEND_URL_ALLOWLIST/);
    expect(tfServing.requests.length).toBe(before);
  });

  it("gives each owner the SageMaker endpoint named after their model, and refuses another's", async () => {
    for (const owner of Object.keys(OWNERS) as Owner[]) {
      await setBackend(owner, { kind: 'sagemaker', endpoint: 'mlhub-torch-{model}' });
      const reply = await predict(owner);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(reply.body.predictions.map((prediction) => prediction.output)).toEqual([[SAGEMAKER_ANSWER[`mlhub-torch-${OWNERS[owner]}`]]]);
      expect(sagemaker.requests.at(-1)).toMatchObject({ method: 'POST', path: `/endpoints/mlhub-torch-${OWNERS[owner]}/invocations` });
    }
    const before = sagemaker.requests.length;
    await setBackend('ada', { kind: 'sagemaker', endpoint: 'mlhub-torch-bob-net' });
    expectError(await predict('ada'), 409, 'backend_not_allowed', /^Model 'ada-net' names SageMaker endpoint 'mlhub-torch-bob-net' in meta\.backend, which this deployment reserves for another model/);
    await setBackend('bob', { kind: 'sagemaker', endpoint: 'bob-private' });
    expectError(await predict('bob'), 409, 'backend_not_allowed', /names SageMaker endpoint 'bob-private' in meta\.backend, which this deployment does not allow/);
    expect(sagemaker.requests.length).toBe(before);
  });
});

describe('a backend assigned to a model name and its owner, over HTTP', () => {
  const asUser = (user: string, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<JsonReply> =>
    call(mlhub.url, method, path, { ...init, headers: { ...init.headers, authorization: users.get(user) as string } });
  const secret = () => ({ kind: 'tfserving', url: `${tfServing.url}/secret` });

  /** `user` creates the assigned name anew, naming the private backend, with a ready version. */
  async function createAssignedName(user: string): Promise<void> {
    const created = await asUser(user, 'POST', `/model/${ASSIGNED}`, json({ type: 'tf', meta: { backend: secret() } }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const upload = await asUser(user, 'POST', `/model/${ASSIGNED}/upload`, { body: savedModel, headers: { 'content-type': 'application/octet-stream' } });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
  }

  const predictAssigned = (user: string) => asUser(user, 'POST', `/model/${ASSIGNED}/predict`, json({ input: [[1, 2]] }));

  it("keeps the backend to its owner's model when another user re-creates the name after a DELETE", async () => {
    // The assignment names the user id GET /me shows.
    expect((await asUser('alice', 'GET', '/me')).body).toMatchObject({ user: 'alice' });
    await createAssignedName('alice');
    expect((await predictAssigned('alice')).status).toBe(200);
    expect(tfServing.requests.at(-1)?.path).toBe(`/secret/v1/models/${ASSIGNED}:predict`);
    expect((await asUser('alice', 'DELETE', `/model/${ASSIGNED}`)).status).toBe(200);

    // Carol takes the free name and names alice's backend: refused before any request leaves.
    await createAssignedName('carol');
    const before = tfServing.requests.length;
    expectError(await predictAssigned('carol'), 409, 'backend_not_allowed',
      new RegExp(`^Model '${ASSIGNED}' names a tfserving backend at an address in meta\\.backend, which this deployment does not allow: .*MLHUB_BACKEND_ASSIGNMENTS`));
    expect(tfServing.requests.length).toBe(before);
    expect((await asUser('carol', 'DELETE', `/model/${ASSIGNED}`)).status).toBe(200);

    // Alice, whose the assignment is, gets it back with the name.
    await createAssignedName('alice');
    expect((await predictAssigned('alice')).status).toBe(200);
    expect(tfServing.requests.length).toBe(before + 1);
    expect(tfServing.requests.at(-1)?.path).toBe(`/secret/v1/models/${ASSIGNED}:predict`);
  });
});
