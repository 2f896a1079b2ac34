import { Cite } from '@citation-js/core';
import '@citation-js/plugin-bibtex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { expectError } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { publishingClient } from '../support/publishing-client';

/* GET /model/{name}/cite over HTTP on npm start, whose DOI provider is the local one. */

let mlhub: RunningMlhub;
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

const METADATA = {
  type: 'ONNX', description: 'Handwritten digits, a small MLP', title: 'Digits MLP', license: 'MIT', keywords: ['digits'],
  authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097' }],
};

let client: ReturnType<typeof publishingClient<keyof typeof tokens>>;
const as = (...args: Parameters<typeof client.as>) => client.as(...args);
/** A citation as text, held to the route's contract like every answer the tests read. */
const cite = (who: keyof typeof tokens | undefined, path: string, method = 'GET') => client.fetchText(path, { ...(who ? { who } : {}), method });
const upload = (name: string) => client.upload('alice', name);
const published = (name: string, version: number) => client.publish('alice', name, version);

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  client = publishingClient(mlhub, tokens);
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const who of ['alice', 'bob'] as const) tokens[who] = await issuer.sign(who);
  // cite-digits: v1 published then withdrawn, v2 published, v3 without a DOI.
  expect((await as('alice', 'POST', '/model/cite-digits', METADATA)).status).toBe(201);
  for (let n = 0; n < 3; n += 1) await upload('cite-digits');
  await published('cite-digits', 1);
  await published('cite-digits', 2);
  expect((await as('alice', 'DELETE', '/model/cite-digits/versions/1?reason=Wrong%20labels')).status).toBe(200);
  // cite-secret: private, never published.
  expect((await as('alice', 'POST', '/model/cite-secret', { ...METADATA, visibility: 'private' })).status).toBe(201);
  await upload('cite-secret');
}, 90_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('GET /model/{name}/cite', () => {
  it('answers BibTeX by default, citing the concept DOI, which citation-js reads back', async () => {
    const { status, type, text } = await cite(undefined, '/model/cite-digits/cite');
    expect(status).toBe(200);
    expect(type).toBe('application/x-bibtex; charset=utf-8');
    const [item] = new Cite(text).data as Record<string, unknown>[];
    expect(item).toMatchObject({ title: 'Digits MLP', DOI: '10.5072/mlhub.cite-digits', URL: 'https://doi.org/10.5072/mlhub.cite-digits', publisher: 'MLHub (local)' });
    expect(item?.author).toEqual([{ family: 'Carberry', given: 'Josiah' }]);
  });

  it('cites a published version by its version DOI, in each format with its media type', async () => {
    const expected: Record<string, [string, RegExp]> = {
      bibtex: ['application/x-bibtex; charset=utf-8', /doi = \{10\.5072\/mlhub\.cite-digits\/v2\}[\s\S]*version = \{2\}/],
      biblatex: ['application/x-bibtex; charset=utf-8', /^@software\{[\s\S]*author\+an:orcid = \{1="https:\/\/orcid\.org\/0000-0002-1825-0097"\}/],
      ris: ['application/x-research-info-systems; charset=utf-8', /^TY {2}- COMP[\s\S]*DO {2}- 10\.5072\/mlhub\.cite-digits\/v2/],
      'csl-json': ['application/vnd.citationstyles.csl+json', /"DOI": "10\.5072\/mlhub\.cite-digits\/v2"/],
      cff: ['application/yaml; charset=utf-8', /^cff-version: 1\.2\.0[\s\S]*orcid: https:\/\/orcid\.org\/0000-0002-1825-0097[\s\S]*license: MIT/],
      'datacite-json': ['application/vnd.datacite.datacite+json', /"doi": "10\.5072\/mlhub\.cite-digits\/v2"[\s\S]*"url": "http:\/\/127\.0\.0\.1:\d+\/model\/cite-digits\/versions\/2"/],
      codemeta: ['application/ld+json', /"@id": "https:\/\/doi\.org\/10\.5072\/mlhub\.cite-digits\/v2"/],
      text: ['text/plain; charset=utf-8', /^Carberry, J\. \(\d{4}\)\. Digits MLP \(Version 2\) \[Trained machine learning model\]\. MLHub \(local\)\. https:\/\/doi\.org\/10\.5072\/mlhub\.cite-digits\/v2\n$/],
      html: ['text/html; charset=utf-8', /^<div class="csl-bib-body">[\s\S]*<i>Digits MLP<\/i>/],
    };
    const filenames: Record<string, string | undefined> = {};
    for (const [format, [mediaType, body]] of Object.entries(expected)) {
      const { status, type, text, headers } = await cite('bob', `/model/cite-digits/cite?format=${format}&version=2`);
      expect({ format, status, type }).toEqual({ format, status: 200, type: mediaType });
      expect(text, format).toMatch(body);
      // Read as its type only, and inert when opened on its own (an HTML citation holds the owner's text).
      expect([headers.get('x-content-type-options'), headers.get('content-security-policy')], format).toEqual(['nosniff', "default-src 'none'; frame-ancestors 'none'"]);
      filenames[format] = /^inline; filename="(.+)"$/.exec(headers.get('content-disposition') ?? '')?.[1];
    }
    // Saved under a name that says what it is, when a browser does not show it.
    expect(filenames).toEqual({
      bibtex: 'cite-digits-v2.bib', biblatex: 'cite-digits-v2.bib', ris: 'cite-digits-v2.ris', 'csl-json': 'cite-digits-v2.csl.json', cff: 'CITATION.cff',
      'datacite-json': 'cite-digits-v2.datacite.json', codemeta: 'codemeta.json', text: 'cite-digits-v2.txt', html: 'cite-digits-v2.html',
    });
  });

  it('formats text in each style it offers', async () => {
    const expected: Record<string, RegExp> = {
      apa: /^Carberry, J\. \(\d{4}\)\. Digits MLP/,
      chicago: /^Carberry, Josiah\. \d{4}\. “Digits MLP\.”/,
      harvard: /^Carberry, J\. \(\d{4}\) “Digits MLP\.”/,
      vancouver: /^1\. Carberry J\. Digits MLP/,
      ieee: /^\[1\] J\. Carberry, “Digits MLP\.”/,
    };
    for (const [style, body] of Object.entries(expected)) {
      const { status, text } = await cite(undefined, `/model/cite-digits/cite?format=text&version=2&style=${style}`);
      expect(status).toBe(200);
      expect(text, style).toMatch(body);
    }
  });

  it('still cites a withdrawn version (200), marked withdrawn', async () => {
    const ris = await cite(undefined, '/model/cite-digits/cite?format=ris&version=1');
    expect(ris.status).toBe(200);
    expect(ris.text).toMatch(/N1 {2}- Withdrawn on \d{4}-\d{2}-\d{2}: Wrong labels/);
    const csl = JSON.parse((await cite(undefined, '/model/cite-digits/cite?format=csl-json&version=1')).text) as Record<string, unknown>;
    expect(csl).toMatchObject({ DOI: '10.5072/mlhub.cite-digits/v1', status: 'withdrawn' });
  });

  it('cites a version without a DOI by its URL on this runtime, with the access date', async () => {
    const { status, text } = await cite(undefined, '/model/cite-digits/cite?format=csl-json&version=3');
    expect(status).toBe(200);
    const item = JSON.parse(text) as Record<string, unknown>;
    expect(item.DOI).toBeUndefined();
    expect(item.URL).toBe(`${mlhub.url}/model/cite-digits/versions/3`);
    const today = new Date();
    expect(item.accessed).toEqual({ 'date-parts': [[today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()]] });
    expect(item.note).toMatch(/^No DOI yet/);
  });

  it('shows a private model\'s citation to its owner, and to a stranger only the 404 of a model that does not exist', async () => {
    const owner = await cite('alice', '/model/cite-secret/cite?format=ris');
    expect(owner.status).toBe(200);
    expect(owner.text).toContain(`UR  - ${mlhub.url}/model/cite-secret`);
    for (const who of ['bob', undefined] as const) {
      expectError(await as(who, 'GET', '/model/cite-secret/cite'), 404, 'model_not_found');
      expectError(await as(who, 'GET', '/model/cite-never/cite'), 404, 'model_not_found');
    }
  });

  it('answers HEAD with the status and headers of GET, and no body', async () => {
    const head = await cite(undefined, '/model/cite-digits/cite?format=cff', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.type).toBe('application/yaml; charset=utf-8');
    expect(head.text).toBe('');
  });

  it('refuses an unknown format or style with a 400 that names the parameter and lists the allowed values', async () => {
    expectError(await as(undefined, 'GET', '/model/cite-digits/cite?format=endnote'), 400, 'invalid_format', /'format'.*"bibtex", "biblatex", "ris", "csl-json", "cff", "datacite-json", "codemeta", "text", "html".*got 'endnote'/);
    expectError(await as(undefined, 'GET', '/model/cite-digits/cite?format=text&style=mla'), 400, 'invalid_style', /'style'.*"apa", "chicago", "harvard", "vancouver", "ieee".*got 'mla'/);
    expectError(await as(undefined, 'GET', '/model/cite-digits/cite?format=ris&style=apa'), 400, 'invalid_style', /applies to format text or html only/);
    expectError(await as(undefined, 'GET', '/model/cite-digits/cite?verison=2'), 400, 'unknown_query_parameter');
  });

  it('answers 404 for a version the model never had, and 410 for one deleted without a DOI', async () => {
    expectError(await as(undefined, 'GET', '/model/cite-digits/cite?version=9'), 404, 'version_not_found');
    await upload('cite-digits');
    expect((await as('alice', 'DELETE', '/model/cite-digits/versions/4')).status).toBe(200);
    expectError(await as(undefined, 'GET', '/model/cite-digits/cite?version=4'), 410, 'version_gone');
  });

  it('answers 409 for a version whose bundle is not checked yet, in every citation and on its page, while its JSON record shows it pending', async () => {
    expect((await as('alice', 'POST', '/model/cite-pending', { ...METADATA, visibility: 'public' })).status).toBe(201);
    const session = await as('alice', 'POST', '/model/cite-pending/uploads', { size: 1000 });
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    const pending = await as(undefined, 'GET', '/model/cite-pending/versions/1');
    expect(pending.body, JSON.stringify(pending.body)).toMatchObject({ status: 'pending' });
    expectError(await as(undefined, 'GET', '/model/cite-pending/cite?version=1'), 409, 'version_not_ready', /Version 1 of model 'cite-pending' is pending/);
    for (const accept of ['application/x-bibtex', 'text/html', 'application/ld+json']) {
      const answer = await fetch(`${mlhub.url}/model/cite-pending/versions/1`, { headers: { accept } });
      expect(answer.status, accept).toBe(409);
    }
  });
});
