import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { sampleBundle } from '../support/tarballs';

let mlhub: RunningMlhub;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const RACERS = 8;

beforeAll(async () => {
  mlhub = await startMlhub();
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('racing requests', () => {
  it('racing creates of one name give exactly one 201', async () => {
    const replies = await Promise.all(Array.from({ length: RACERS }, (_, i) => api('POST', '/model/race-create', json({ type: 'onnx', description: `racer ${i}` }))));
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(RACERS - 1).fill(409)]);
    const winner = replies.find((reply) => reply.status === 201)?.body as { description: string };
    expect((await api('GET', '/model/race-create')).body).toMatchObject({ description: winner.description, revision: 1 });
  });

  it('racing PUTs with the same ETag give one 200 and 412 for the rest; none is lost silently', async () => {
    const created = await api('POST', '/model/race-put', json({ type: 'onnx' }));
    const etag = created.headers.get('etag') ?? '';
    const replies = await Promise.all(Array.from({ length: RACERS }, (_, i) =>
      api('PUT', '/model/race-put', { body: JSON.stringify({ meta: { writer: i } }), headers: { 'content-type': 'application/json', 'if-match': etag } })));
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(RACERS - 1).fill(412)]);
    const winner = replies.find((reply) => reply.status === 200)?.body as { meta: { writer: number } };
    expect((await api('GET', '/model/race-put')).body).toMatchObject({ meta: winner.meta, revision: 2 });
  });

  it('racing PUTs without If-Match each apply once, in some order', async () => {
    await api('POST', '/model/race-blind', json({ type: 'onnx' }));
    const replies = await Promise.all(Array.from({ length: RACERS }, (_, i) => api('PUT', '/model/race-blind', json({ description: `d${i}` }))));
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    expect((await api('GET', '/model/race-blind')).body).toMatchObject({ revision: RACERS + 1 });
  });

  it('racing uploads get distinct consecutive versions', async () => {
    await api('POST', '/model/race-upload', json({ type: 'onnx' }));
    const bundles = await Promise.all(Array.from({ length: 4 }, (_, i) => sampleBundle(`m${i}`)));
    const replies = await Promise.all(bundles.map((bytes) => api('POST', '/model/race-upload/upload', { body: bytes, headers: { 'content-type': 'application/octet-stream' } })));
    expect(replies.map((reply) => reply.status)).toEqual([201, 201, 201, 201]);
    expect(replies.map((reply) => (reply.body as { version: number }).version).sort()).toEqual([1, 2, 3, 4]);
    expect((await api('GET', '/model/race-upload')).body).toMatchObject({ latest_version: 4 });
  });
});
