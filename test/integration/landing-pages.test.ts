import { Cite } from '@citation-js/core';
import '@citation-js/plugin-bibtex';
import { HtmlValidate } from 'html-validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { expectError } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { publishingClient } from '../support/publishing-client';

/*
 * Content negotiation on GET /model/{name} and GET /model/{name}/versions/{n}, and the landing
 * page, over HTTP on npm start (whose DOI provider is the local one).
 */

let mlhub: RunningMlhub;
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

const METADATA = {
  type: 'ONNX', description: 'Handwritten digits, a small MLP <b>bold</b> & "quoted"', title: 'Digits MLP', license: 'MIT', keywords: ['digits', 'mnist'],
  authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097' }, { name: 'Ada Lovelace' }],
  related_identifiers: [
    { identifier: '10.5555/mnist', identifier_type: 'DOI', relation_type: 'IsDerivedFrom' },
    { identifier: '10.5555/paper', identifier_type: 'DOI', relation_type: 'IsDocumentedBy' },
  ],
};

let client: ReturnType<typeof publishingClient<keyof typeof tokens>>;
const as = (...args: Parameters<typeof client.as>) => client.as(...args);
/** Any answer, held to the route's contract like every answer the tests read. */
const fetchAs = (accept: string | undefined, path: string, options: { who?: keyof typeof tokens; method?: string } = {}) =>
  client.fetchText(path, { ...options, ...(accept === undefined ? {} : { accept }) });
const upload = (name: string) => client.upload('alice', name);
const published = (name: string, version: number) => client.publish('alice', name, version);

/** The JSON-LD block of a page, parsed. */
function jsonLdOf(page: string): Record<string, unknown> {
  const block = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(page);
  expect(block, 'a JSON-LD block').not.toBeNull();
  return JSON.parse(block?.[1] ?? '') as Record<string, unknown>;
}

/** A Link header (RFC 8288) as its links: target, rel and type, each link well-formed or the test fails. */
function linksOf(header: string | null): { href: string; rel: string; type?: string }[] {
  expect(header).not.toBeNull();
  const parts = (header ?? '').split(/,\s*(?=<)/);
  return parts.map((part) => {
    const match = /^<([^<>\s]+)>((?:;\s*[a-z-]+="[^"]*")+)$/.exec(part.trim());
    expect(match, `a well-formed link: ${part}`).not.toBeNull();
    const params = Object.fromEntries([...(match?.[2] ?? '').matchAll(/;\s*([a-z-]+)="([^"]*)"/g)].map((param) => [param[1], param[2]]));
    expect(() => new URL(match?.[1] ?? '')).not.toThrow();
    return { href: match?.[1] ?? '', rel: params.rel ?? '', ...(params.type ? { type: params.type } : {}) };
  });
}

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  client = publishingClient(mlhub, tokens);
  const issuer = await openLocalIssuer(mlhub.dataDir);
  for (const who of ['alice', 'bob'] as const) tokens[who] = await issuer.sign(who);
  // land-digits: v1 published then withdrawn, v2 published, v3 without a DOI.
  expect((await as('alice', 'POST', '/model/land-digits', METADATA)).status).toBe(201);
  for (let n = 0; n < 3; n += 1) await upload('land-digits');
  await published('land-digits', 1);
  await published('land-digits', 2);
  expect((await as('alice', 'DELETE', '/model/land-digits/versions/1?reason=Wrong%20labels%20%3Cscript%3E')).status).toBe(200);
  // land-secret: private, never published.
  expect((await as('alice', 'POST', '/model/land-secret', { ...METADATA, visibility: 'private' })).status).toBe(201);
  await upload('land-secret');
  // land-gone: published, then the whole model withdrawn.
  expect((await as('alice', 'POST', '/model/land-gone', METADATA)).status).toBe(201);
  await upload('land-gone');
  await published('land-gone', 1);
  expect((await as('alice', 'DELETE', '/model/land-gone?reason=Superseded')).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('content negotiation on a model\'s and a version\'s URL', () => {
  it('answers each media type of the table, with Vary: Accept', async () => {
    const table: [string, string, RegExp][] = [
      ['application/x-bibtex', 'application/x-bibtex; charset=utf-8', /doi = \{10\.5072\/mlhub\.land-digits\}/],
      ['application/x-research-info-systems', 'application/x-research-info-systems; charset=utf-8', /^TY {2}- COMP[\s\S]*DO {2}- 10\.5072\/mlhub\.land-digits\r?\n/],
      ['application/vnd.citationstyles.csl+json', 'application/vnd.citationstyles.csl+json', /"DOI": "10\.5072\/mlhub\.land-digits"/],
      ['text/x-bibliography; style=apa; locale=en-US', 'text/x-bibliography; charset=utf-8', /^Carberry, J\., & Lovelace, A\. \(\d{4}\)\. Digits MLP \[Trained machine learning model\]\. MLHub \(local\)\. https:\/\/doi\.org\/10\.5072\/mlhub\.land-digits\n$/],
      ['text/x-bibliography; style=ieee', 'text/x-bibliography; charset=utf-8', /^\[1\] J\. Carberry and A\. Lovelace, “Digits MLP\.”/],
      ['application/vnd.datacite.datacite+json', 'application/vnd.datacite.datacite+json', /"doi": "10\.5072\/mlhub\.land-digits"/],
      ['application/ld+json', 'application/ld+json', /"identifier": "https:\/\/doi\.org\/10\.5072\/mlhub\.land-digits"/],
      // The names DataCite also answers to.
      ['application/vnd.schemaorg.ld+json', 'application/ld+json', /"identifier": "https:\/\/doi\.org\/10\.5072\/mlhub\.land-digits"/],
      ['application/citeproc+json', 'application/vnd.citationstyles.csl+json', /"DOI": "10\.5072\/mlhub\.land-digits"/],
      ['text/html', 'text/html; charset=utf-8', /^<!DOCTYPE html>/],
      ['application/json', 'application/json; charset=utf-8', /^\{"model":"land-digits"/],
    ];
    for (const [accept, type, body] of table) {
      const answer = await fetchAs(accept, '/model/land-digits');
      expect({ accept, status: answer.status, type: answer.type }).toEqual({ accept, status: 200, type });
      expect(answer.text, accept).toMatch(body);
      expect(answer.headers.get('vary'), accept).toMatch(/(^|,\s*)accept(,|$)/i);
    }
  });

  it('answers a version\'s URL by its version DOI', async () => {
    const bibtex = await fetchAs('application/x-bibtex', '/model/land-digits/versions/2');
    expect(bibtex.status).toBe(200);
    const [item] = new Cite(bibtex.text).data as Record<string, unknown>[];
    expect(item).toMatchObject({ title: 'Digits MLP', DOI: '10.5072/mlhub.land-digits/v2', version: '2' });
    const ld = JSON.parse((await fetchAs('application/ld+json', '/model/land-digits/versions/2')).text) as Record<string, unknown>;
    expect(ld).toMatchObject({ identifier: 'https://doi.org/10.5072/mlhub.land-digits/v2', version: '2', isPartOf: ['https://doi.org/10.5072/mlhub.land-digits'] });
    const plain = await fetchAs(undefined, '/model/land-digits/versions/2');
    expect(plain.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(plain.text)).toMatchObject({ model: 'land-digits', version: 2 });
    expect(plain.headers.get('vary')).toMatch(/accept/i);
  });

  it('honours q-values, and the order of equal ones', async () => {
    expect((await fetchAs('text/html;q=0.5, application/x-bibtex', '/model/land-digits')).type).toBe('application/x-bibtex; charset=utf-8');
    expect((await fetchAs('application/x-bibtex;q=0.2, text/html;q=0.9', '/model/land-digits')).type).toBe('text/html; charset=utf-8');
    expect((await fetchAs('application/x-research-info-systems, application/x-bibtex', '/model/land-digits')).type).toBe('application/x-research-info-systems; charset=utf-8');
    expect((await fetchAs('application/json;q=0, */*;q=0.1', '/model/land-digits')).type).toBe('text/html; charset=utf-8');
    // What browsers send: the page.
    expect((await fetchAs('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', '/model/land-digits')).type).toBe('text/html; charset=utf-8');
  });

  it('answers JSON to */*, to no Accept (plain curl), and to HEAD alike', async () => {
    for (const accept of ['*/*', undefined, 'application/*']) {
      const answer = await fetchAs(accept, '/model/land-digits');
      expect(answer.type, String(accept)).toBe('application/json; charset=utf-8');
      expect(JSON.parse(answer.text)).toMatchObject({ model: 'land-digits', concept_doi: '10.5072/mlhub.land-digits' });
    }
    const curl = await fetch(`${mlhub.url}/model/land-digits`, { headers: { 'user-agent': 'curl/8.5.0', accept: '*/*' } });
    expect(curl.headers.get('content-type')).toBe('application/json; charset=utf-8');
    for (const accept of ['text/html', 'application/x-bibtex', undefined]) {
      const get = await fetchAs(accept, '/model/land-digits');
      const head = await fetchAs(accept, '/model/land-digits', { method: 'HEAD' });
      expect({ accept, status: head.status, type: head.type, body: head.text }).toEqual({ accept, status: 200, type: get.type, body: '' });
      expect(head.headers.get('vary')).toMatch(/accept/i);
      // The page and the citation carry today's date only where there is no DOI: here the sizes match.
      expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(get.text)));
    }
  });

  it('refuses a type it does not answer with 406, listing those it does, errors carrying Vary too', async () => {
    for (const [accept, path] of [['image/png', '/model/land-digits'], ['text/x-bibliography; locale=de-DE', '/model/land-digits/versions/2'], ['application/json;q=0', '/model/land-digits']] as const) {
      const answer = await fetchAs(accept, path);
      expect(answer.status, accept).toBe(406);
      expect(answer.type).toBe('application/json; charset=utf-8');
      const error = (JSON.parse(answer.text) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('not_acceptable');
      for (const type of ['application/json', 'text/html', 'application/ld+json', 'application/x-bibtex', 'application/x-research-info-systems', 'application/vnd.citationstyles.csl+json', 'text/x-bibliography', 'application/vnd.datacite.datacite+json']) {
        expect(error.message, accept).toContain(type);
      }
      expect(answer.headers.get('vary')).toMatch(/accept/i);
    }
    const missing = await fetchAs('text/html', '/model/land-nothing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('vary')).toMatch(/accept/i);
  });

  it('shows a private model to no stranger: the usual JSON 404 whatever is asked', async () => {
    const json404 = await as('bob', 'GET', '/model/land-secret');
    for (const accept of ['text/html', 'application/x-bibtex', 'application/ld+json']) {
      for (const who of ['bob', undefined] as const) {
        const answer = await fetchAs(accept, '/model/land-secret', { who });
        expect({ accept, status: answer.status, type: answer.type }).toEqual({ accept, status: json404.status, type: 'application/json; charset=utf-8' });
        expect(JSON.parse(answer.text)).toEqual(json404.body);
      }
      expect((await fetchAs(accept, '/model/land-secret/versions/1', { who: 'bob' })).status).toBe(404);
    }
    expectError(json404, 404, 'model_not_found');
    const own = await fetchAs('text/html', '/model/land-secret', { who: 'alice' });
    expect(own.status).toBe(200);
    expect(own.text).toContain('No DOI yet');
    expect(own.text).toContain('Authorization: Bearer $MLHUB_TOKEN');
  });
});

describe('the landing page', () => {
  const validator = new HtmlValidate({
    extends: ['html-validate:recommended'],
    rules: {
      // The page's title is the model's, up to 500 characters as the record allows: cutting it would
      // misname the model to readers and search engines alike.
      'long-title': 'off',
    },
  });

  it('passes html-validate\'s recommended rules, for a model, a version and a model without a DOI', async () => {
    for (const [path, who] of [['/model/land-digits', undefined], ['/model/land-digits/versions/2', undefined], ['/model/land-digits/versions/3', undefined], ['/model/land-secret', 'alice']] as const) {
      const page = await fetchAs('text/html', path, { who });
      expect(page.status, path).toBe(200);
      const report = await validator.validateString(page.text);
      expect(report.results.flatMap((result) => result.messages.map((message) => `${message.ruleId}: ${message.message} (line ${message.line})`)), path).toEqual([]);
    }
  });

  it('shows what the issue asks for, escaped', async () => {
    const page = (await fetchAs('text/html', '/model/land-digits/versions/2')).text;
    expect(page).toContain('<h1 dir="auto">Digits MLP, version 2</h1>');
    expect(page).toContain('<a href="https://orcid.org/0000-0002-1825-0097" title="ORCID iD 0000-0002-1825-0097">Josiah Carberry</a>');
    expect(page).toContain('<p class="text" dir="auto">Handwritten digits, a small MLP &#60;b&#62;bold&#60;/b&#62; &#38; &#34;quoted&#34;</p>');
    expect(page).not.toContain('<b>bold</b>');
    expect(page).toContain('href="https://doi.org/10.5072/mlhub.land-digits/v2"');
    expect(page).toContain('href="https://doi.org/10.5072/mlhub.land-digits"');
    expect(page).toContain('<a href="https://spdx.org/licenses/MIT.html">MIT</a>');
    expect(page).toContain('<dt>Keywords</dt><dd>digits</dd><dd>mnist</dd>');
    // Versions, newest first, with their status and digest; the files of this one.
    const versions = await as(undefined, 'GET', '/model/land-digits');
    const sha256 = (versions.body as { versions: { version: number; sha256: string }[] }).versions.find((version) => version.version === 2)?.sha256 ?? 'none';
    expect(page).toContain(`<code>${sha256}</code>`);
    expect(page).toMatch(/<td>withdrawn<\/td>/);
    expect(page).toMatch(/<td>published<\/td>/);
    expect(page).toMatch(/<td><code>[^<]*\.onnx<\/code><\/td>/);
    expect(page).toContain('mlhub predict land-digits --version 2');
    expect(page).toMatch(/curl -X POST -H &#34;content-type: application\/json&#34;[\s\S]*http:\/\/127\.0\.0\.1:\d+\/model\/land-digits\/predict\?version=2/);
    // The citation box: the reference, BibTeX, and links and a form that work without JavaScript.
    expect(page).toMatch(/<p id="cite-text">Carberry, J\., &#38; Lovelace, A\. \(\d{4}\)\. Digits MLP \(Version 2\)/);
    expect(page).toContain('doi = {10.5072/mlhub.land-digits/v2}');
    expect(page).toContain('href="../cite?format=ris&#38;version=2"');
    expect(page).toMatch(/<form method="get" action="\.\.\/cite">/);
    expect(page).toContain('<button type="button" data-copy="cite-bibtex" hidden>');
    expect(page).toContain('IsDerivedFrom: <a href="https://doi.org/10.5555/mnist">');
    // The form's and links' target answers the citation.
    const ris = await fetchAs(undefined, '/model/land-digits/cite?format=ris&version=2');
    expect(ris.text).toMatch(/^TY {2}- COMP/);
  });

  it('embeds JSON-LD that parses, with the DOI, the authors and their ORCID iDs, and answers the same to application/ld+json', async () => {
    const page = await fetchAs('text/html', '/model/land-digits');
    const embedded = jsonLdOf(page.text);
    expect(embedded).toMatchObject({
      '@context': ['https://schema.org', { fair4ml: 'https://w3id.org/fair4ml/' }],
      '@type': ['CreativeWork', 'fair4ml:MLModel'],
      identifier: 'https://doi.org/10.5072/mlhub.land-digits',
      name: 'Digits MLP',
      license: 'https://spdx.org/licenses/MIT.html',
      keywords: ['digits', 'mnist'],
      author: [{ '@type': 'Person', '@id': 'https://orcid.org/0000-0002-1825-0097', name: 'Josiah Carberry' }, { '@type': 'Person', name: 'Ada Lovelace' }],
      isBasedOn: ['https://doi.org/10.5555/mnist'],
      citation: ['https://doi.org/10.5555/paper'],
    });
    expect(embedded.datePublished).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const answered = JSON.parse((await fetchAs('application/ld+json', '/model/land-digits')).text) as unknown;
    expect(answered).toEqual(embedded);
  });

  it('sends signposting Link headers, and <link rel="cite-as">', async () => {
    const page = await fetchAs('text/html', '/model/land-digits/versions/2');
    const links = linksOf(page.headers.get('link'));
    const landing = `${mlhub.url}/model/land-digits/versions/2`;
    expect(links).toEqual(expect.arrayContaining([
      { href: 'https://doi.org/10.5072/mlhub.land-digits/v2', rel: 'cite-as' },
      { href: landing, rel: 'describedby', type: 'application/vnd.datacite.datacite+json' },
      { href: landing, rel: 'describedby', type: 'application/ld+json' },
      { href: `${mlhub.url}/model/land-digits/download?version=2`, rel: 'item', type: 'application/gzip' },
      { href: 'https://spdx.org/licenses/MIT.html', rel: 'license' },
      { href: 'https://orcid.org/0000-0002-1825-0097', rel: 'author' },
    ]));
    expect(links.filter((link) => link.rel === 'author')).toHaveLength(1);
    expect(page.text).toContain('<link rel="cite-as" href="https://doi.org/10.5072/mlhub.land-digits/v2">');
    // The item link serves the bundle.
    const item = await fetch(`${mlhub.url}/model/land-digits/download?version=2`, { headers: { accept: 'application/json' } });
    expect(item.status).toBe(200);
    // What describedby promises, the same URL answers.
    expect((await fetchAs('application/vnd.datacite.datacite+json', '/model/land-digits/versions/2')).text).toMatch(/"doi": "10\.5072\/mlhub\.land-digits\/v2"/);
  });

  it('keeps to its Content-Security-Policy: the inline style and script are the ones hashed, and nothing is loaded from elsewhere', async () => {
    const page = await fetchAs('text/html', '/model/land-digits');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    const { createHash } = await import('node:crypto');
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.text)?.[1] ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.text)?.[1] ?? '';
    expect(csp).toContain(`style-src ${hash(style)}`);
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(page.text).not.toMatch(/<(?:script|link|img)[^>]+src=/);
    expect(page.text).not.toMatch(/ style=/);
  });

  it('shows a withdrawn version\'s tombstone, with its reason, at 410; JSON callers still get the JSON 410', async () => {
    const page = await fetchAs('text/html', '/model/land-digits/versions/1');
    expect(page.status).toBe(410);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('Reason: Wrong labels &#60;script&#62;.');
    expect(page.text).toContain('href="https://doi.org/10.5072/mlhub.land-digits/v1"');
    expect(page.headers.get('vary')).toMatch(/accept/i);
    const report = await validator.validateString(page.text);
    expect(report.valid, JSON.stringify(report.results)).toBe(true);
    expectError(await as(undefined, 'GET', '/model/land-digits/versions/1'), 410, 'version_withdrawn');
    // Its citation still answers, marked withdrawn, as /cite does.
    const ris = await fetchAs('application/x-research-info-systems', '/model/land-digits/versions/1');
    expect(ris.status).toBe(200);
    expect(ris.text).toMatch(/Withdrawn on \d{4}-\d{2}-\d{2}: Wrong labels/);
  });

  it('shows a withdrawn model\'s tombstone at 410, with its versions\' DOIs', async () => {
    const page = await fetchAs('text/html', '/model/land-gone');
    expect(page.status).toBe(410);
    expect(page.text).toContain('Reason: Superseded.');
    expect(page.text).toContain('href="https://doi.org/10.5072/mlhub.land-gone/v1"');
    expect((await validator.validateString(page.text)).valid).toBe(true);
    expectError(await as(undefined, 'GET', '/model/land-gone'), 410, 'model_withdrawn');
    // Only the page is a tombstone page: a citation of a withdrawn model is the JSON 410, as /cite answers.
    const bibtex = await fetchAs('application/x-bibtex', '/model/land-gone');
    expect(bibtex.status).toBe(410);
    expect(bibtex.type).toBe('application/json; charset=utf-8');
  });
});
