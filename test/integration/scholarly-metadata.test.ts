import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/* A model's scholarly metadata, written and read over HTTP as a researcher would. */

let mlhub: RunningMlhub;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);

beforeAll(async () => {
  mlhub = await startMlhub();
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

const metadata = {
  title: 'Handwritten digits, a small MLP',
  authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097', affiliation: { name: 'Brown University', ror: 'https://ror.org/05gq02987' } }],
  license: 'Apache-2.0',
  keywords: ['mnist', 'digits'],
  task: 'image-classification',
  related_identifiers: [{ identifier: 'https://github.com/example/digits', identifier_type: 'URL', relation_type: 'IsCompiledBy' }],
  funding: [{ funder_name: 'European Research Council', award_number: '101001' }],
};

describe('scholarly metadata on a model record', () => {
  it('is stored on create, shown on read and in listings, changed and cleared on update', async () => {
    const created = await api('POST', '/model/scholarly', json({ type: 'onnx', description: 'A digit classifier', discipline: 'Computer vision', ...metadata }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const read = (await api('GET', '/model/scholarly')).body as Record<string, unknown>;
    expect(read).toMatchObject({ ...metadata, authors: [{ ...metadata.authors[0], role: 'creator' }], description: 'A digit classifier', discipline: 'Computer vision' });
    const listed = (await api('GET', '/models')).body as { model: string; title: string | null }[];
    expect(listed.find((model) => model.model === 'scholarly')?.title).toBe(metadata.title);

    const etag = (await api('GET', '/model/scholarly')).headers.get('etag') ?? '';
    const updated = await api('PUT', '/model/scholarly', { ...json({ authors: [{ name: 'Ada Lovelace', role: 'Researcher' }], license: null, keywords: null }), headers: { 'content-type': 'application/json', 'if-match': etag } });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body).toMatchObject({ authors: [{ name: 'Ada Lovelace', role: 'Researcher' }], license: null, keywords: [], title: metadata.title });
  });

  it('shows the original MLHub\'s reference, when it holds a DOI, as a related identifier', async () => {
    expect((await api('POST', '/model/with-reference', json({ type: 'onnx', reference: 'https://doi.org/10.5281/zenodo.1234567' }))).status).toBe(201);
    expect(((await api('GET', '/model/with-reference')).body as { related_identifiers: unknown[] }).related_identifiers)
      .toEqual([{ identifier: '10.5281/zenodo.1234567', identifier_type: 'DOI', relation_type: 'References' }]);
  });

  it('refuses what a DOI could not carry, naming the field, and writes nothing', async () => {
    expectError(await api('POST', '/model/bad-orcid', json({ type: 'onnx', authors: [{ name: 'A', orcid: '0000-0002-1825-0098' }] })), 400, 'invalid_body', /authors\.0\.orcid has a wrong check digit/);
    expectError(await api('POST', '/model/bad-license', json({ type: 'onnx', license: 'Proprietary' })), 400, 'invalid_body', /license must be an SPDX license id/);
    expect((await api('GET', '/model/bad-orcid')).status).toBe(404);
    expect((await api('GET', '/model/bad-license')).status).toBe(404);
  });
});
