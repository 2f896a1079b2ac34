import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, json, type JsonReply } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/*
 * Relevance over the running service, as the fresh-eyes review of #13 probed it: a score must not
 * tell a caller anything about models they may not see (finding 14), and paging by relevance must
 * not lose hits when writes move the scores between pages (finding 15).
 */

interface Answer { hits: { model: string; score?: number }[]; total: number; next_cursor: string | null }

let mlhub: RunningMlhub;
const tokens = new Map<string, string>();
const api = (user: string, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<JsonReply> =>
  call(mlhub.url, method, path, { ...init, headers: { ...init.headers, authorization: tokens.get(user) as string } });

async function search(user: string, query: string): Promise<Answer> {
  const reply = await api(user, 'GET', `/models?${query}`);
  expect(reply.status, `?${query}: ${JSON.stringify(reply.body).slice(0, 200)}`).toBe(200);
  return reply.body as Answer;
}

async function create(user: string, name: string, metadata: Record<string, unknown>, visibility: 'public' | 'private'): Promise<void> {
  expect((await api(user, 'POST', `/model/${name}`, json({ type: 'onnx', ...metadata }))).status).toBe(201);
  if (visibility === 'public') expect((await api(user, 'PUT', `/model/${name}/access`, json({ visibility: 'public' }))).status).toBe(200);
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const user of ['alice', 'bob']) tokens.set(user, `Bearer ${await issuer.sign(user)}`);
}, 120_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('GET /models relevance', () => {
  it('a probe model\'s score and order do not move when another user adds private models holding its words (review finding 14)', async () => {
    await create('bob', 'probe', { title: 'quasarcodename probe' }, 'private');
    await create('bob', 'probe-public', { title: 'Another', description: 'quasarcodename in a longer description', keywords: ['quasarcodename'] }, 'public');
    const scored = async () => Promise.all(['q=quasarcodename', 'q=quasarcode', 'q=quasarcodenme'].map(async (query) => (await search('bob', query)).hits.map((hit) => [hit.model, hit.score])));
    const before = await scored();
    expect(before[0]?.map(([model]) => model).sort()).toEqual(['probe', 'probe-public']);
    for (let index = 1; index <= 5; index += 1) await create('alice', `alice-quasar-${index}`, { title: 'quasarcodename internal', keywords: ['quasarcodename'] }, 'private');
    expect((await search('alice', 'q=quasarcodename')).total).toBe(5 + 1);
    expect(await scored()).toEqual(before);
  });

  it('paging by relevance through the Link cursor shows every hit once while models are added between pages (review finding 15)', async () => {
    for (let index = 0; index < 9; index += 1) await create('bob', `pagetest-${index}`, { title: `pagetest model ${index}`, description: 'x '.repeat(index) }, 'public');
    const all = (await search('bob', 'q=pagetest&limit=100')).hits.map((hit) => hit.model);
    expect(all).toHaveLength(9);
    const seen: string[] = [];
    let answer = await search('bob', 'q=pagetest&limit=3');
    for (let page = 1; ; page += 1) {
      seen.push(...answer.hits.map((hit) => hit.model));
      if (!answer.next_cursor) break;
      // Unrelated public models raise N, and with it every IDF and score.
      for (let index = 0; index < 10; index += 1) await create('alice', `unrelated-${page}-${index}`, { title: 'Unrelated' }, 'public');
      answer = await search('bob', `q=pagetest&limit=3&cursor=${encodeURIComponent(answer.next_cursor)}`);
    }
    expect(seen).toEqual(all);
  });
});
