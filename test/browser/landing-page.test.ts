import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/*
 * The landing page in a real browser: Debian's Chromium (apt package `chromium`, which .ci/run
 * installs), driven by playwright-core, against one MLHub started as `npm start` does. What a DOI
 * opens must read, cite and copy, with JavaScript on and off, under its own CSP, and pass axe-core.
 */

const CHROMIUM = '/usr/bin/chromium';
/** Flags from the machine notes: no sandbox as root, and none of Chromium's own traffic, which this closed network refuses. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const installed = existsSync(CHROMIUM);
// As std-env (vitest's own CI detection) reads CI: set and not "false".
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';
if (!installed && !inCi) console.warn(`Skipping the browser test: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it, and there the test fails without it).`);

const BUNDLE = fileURLToPath(new URL('../../models/demo/mnist.tar.gz', import.meta.url));
const NAME = 'browser-digits';
const CONCEPT_DOI = `10.5072/mlhub.${NAME}`;
const VERSION_DOI = `${CONCEPT_DOI}/v2`;
const METADATA = {
  type: 'ONNX', description: 'Handwritten digits, a small MLP', title: 'Digits MLP', license: 'MIT', keywords: ['digits', 'mnist'],
  authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097' }, { name: 'Ada Lovelace' }],
  related_identifiers: [{ identifier: '10.5555/mnist', identifier_type: 'DOI', relation_type: 'IsDerivedFrom' }],
};
/**
 * What each citation format holds of version 2, its DOI as the format writes it. Chromium shows the
 * JSON ones in the tab and saves BibTeX, RIS and CFF (types it does not show) as downloads.
 */
const FORMATS: Record<string, RegExp> = {
  bibtex: /^@misc\{[\s\S]*\bdoi = \{10\.5072\/mlhub\.browser-digits\/v2\}[\s\S]*\btitle = \{Digits \{MLP\}\}[\s\S]*\bversion = \{2\}/,
  biblatex: /^@software\{[\s\S]*\bdoi = \{10\.5072\/mlhub\.browser-digits\/v2\}[\s\S]*\btitle = \{Digits \{MLP\}\}/,
  ris: /^TY {2}- COMP\n[\s\S]*^DO {2}- 10\.5072\/mlhub\.browser-digits\/v2$[\s\S]*^TI {2}- Digits MLP$/m,
  'csl-json': /^\{[\s\S]*"title": "Digits MLP",[\s\S]*"DOI": "10\.5072\/mlhub\.browser-digits\/v2",/,
  cff: /^cff-version: 1\.2\.0\n[\s\S]*^doi: 10\.5072\/mlhub\.browser-digits\/v2$[\s\S]*^title: Digits MLP$/m,
  'datacite-json': /^\{\n {2}"doi": "10\.5072\/mlhub\.browser-digits\/v2",/,
  codemeta: /^\{[\s\S]*"identifier": "https:\/\/doi\.org\/10\.5072\/mlhub\.browser-digits\/v2",\n {2}"name": "Digits MLP",/,
};
/** Version 2's reference in each style, as text. */
const STYLES: Record<string, RegExp> = {
  apa: /^Carberry, J\., & Lovelace, A\. \(\d{4}\)\. Digits MLP \(Version 2\) \[Trained machine learning model\]\. MLHub \(local\)\. https:\/\/doi\.org\/10\.5072\/mlhub\.browser-digits\/v2$/,
  chicago: /^Carberry, Josiah, and Ada Lovelace\. \d{4}\. “Digits MLP\.” Trained machine learning model\. MLHub \(local\)\. https:\/\/doi\.org\/10\.5072\/mlhub\.browser-digits\/v2\.$/,
  harvard: /^Carberry, J\. and Lovelace, A\. \(\d{4}\) “Digits MLP\.” MLHub \(local\)\. Available at: https:\/\/doi\.org\/10\.5072\/mlhub\.browser-digits\/v2\.$/,
  vancouver: /^1\. Carberry J, Lovelace A\. Digits MLP \[Trained machine learning model\] \[Internet\]\. MLHub \(local\); \d{4}\. Available from: https:\/\/doi\.org\/10\.5072\/mlhub\.browser-digits\/v2 doi:10\.5072\/mlhub\.browser-digits\/v2$/,
  ieee: /^\[1\] J\. Carberry and A\. Lovelace, “Digits MLP\.” MLHub \(local\), [A-Z][a-z]+\.? \d{1,2}, \d{4}\. doi: 10\.5072\/mlhub\.browser-digits\/v2\.$/,
};

let mlhub: RunningMlhub;
let browser: Browser;
let token = '';
/** Console errors and warnings (CSP violations among them) and uncaught exceptions, from every page of every context. */
const problems: string[] = [];

const asAlice = (method: string, path: string, body?: unknown) =>
  call(mlhub.url, method, path, { ...(body === undefined ? {} : json(body)), headers: { ...(body === undefined ? {} : json(body).headers), authorization: `Bearer ${token}` } });

async function published(version: number): Promise<void> {
  expect((await asAlice('POST', `/model/${NAME}/versions/${version}/publish`)).status).toBe(202);
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const read = await asAlice('GET', `/model/${NAME}/versions/${version}`);
    if ((read.body as { publication: { state: string } | null }).publication?.state === 'published') return;
  }
  throw new Error(`${NAME} v${version} is still publishing`);
}

/** A browser context whose console problems land in `problems`. */
async function watchedContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  context.on('console', (message) => {
    // Beside a citation it shows (JSON, text), Chromium asks for /favicon.ico, which MLHub does not
    // have: no fault of the citation. (None is reported on landing pages, whose CSP loads nothing.)
    if (message.location().url === `${mlhub.url}/favicon.ico` && new URL(message.page()?.url() ?? mlhub.url).pathname.endsWith('/cite')) return;
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()} on ${message.page()?.url() ?? '?'}: ${message.text()}${message.location().url ? ` (${message.location().url})` : ''}`);
  });
  context.on('weberror', (error) => problems.push(`uncaught on ${error.page()?.url() ?? '?'}: ${error.error().message}`));
  return context;
}

/**
 * Does what leads to a citation (a link, the form), and reads the citation as the browser gives it:
 * shown in the tab (text/plain and JSON, which Chromium shows in a <pre>) or saved as a download
 * (types it does not show, such as application/x-bibtex: the navigation is aborted, and a download begins).
 */
async function citationBehind(page: Page, act: () => Promise<unknown>): Promise<{ url: string; text: string; shown: boolean }> {
  const before = page.url();
  const downloaded = page.waitForEvent('download');
  downloaded.catch(() => undefined); // no download comes where the citation is shown
  const loaded = page.waitForURL((url) => url.href !== before, { waitUntil: 'load' }).then(() => true, () => false);
  await act();
  const first = await Promise.race([downloaded.then(() => 'download' as const), loaded.then((ok) => (ok ? 'shown' as const : 'aborted' as const))]);
  if (first === 'shown') return { url: page.url(), text: (await page.locator('pre').first().textContent()) ?? '', shown: true };
  const download = await downloaded;
  return { url: download.url(), text: await readFile(await download.path(), 'utf8'), shown: false };
}

/**
 * Chromium reports a document's own error status on the console; a tombstone page's 410 is meant.
 * Takes that one report (and fails on any other) so that the check after each test sees the rest.
 */
function expectGoneReported(url: string): void {
  expect(problems.splice(0)).toEqual([`error on ${url}: Failed to load resource: the server responded with a status of 410 (Gone) (${url})`]);
}

const pageUrl = (path: string) => `${mlhub.url}${path}`;

// In CI a missing Chromium is a failure, counted as one, not a skip.
it.skipIf(!installed && !inCi)(`finds Debian's Chromium at ${CHROMIUM}`, () => {
  expect(installed, `No Chromium at ${CHROMIUM}: the browser test needs Debian's chromium package (.ci/run installs it with apt-get).`).toBe(true);
});

describe.skipIf(!installed)('the landing page in Chromium', () => {
  let withScript: BrowserContext;
  let withoutScript: BrowserContext;

  beforeAll(async () => {
    [mlhub, browser] = await Promise.all([
      startMlhub({ env: { MLHUB_AUTH: 'required' } }),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
    token = await (await openLocalIssuer(mlhub.dataDir)).sign('alice');
    // v1 published then withdrawn, v2 published.
    expect((await asAlice('POST', `/model/${NAME}`, METADATA)).status).toBe(201);
    for (let n = 0; n < 2; n += 1) {
      const uploaded = await call(mlhub.url, 'POST', `/model/${NAME}/upload`, { body: await readFile(BUNDLE), headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` } });
      expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    }
    await published(1);
    await published(2);
    expect((await asAlice('DELETE', `/model/${NAME}/versions/1?reason=Wrong%20labels`)).status).toBe(200);
    withScript = await watchedContext();
    await withScript.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: mlhub.url });
    withoutScript = await watchedContext({ javaScriptEnabled: false });
  }, 120_000);

  afterEach(() => {
    expect(problems.splice(0), 'console errors, CSP violations or uncaught exceptions').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await mlhub?.stop();
    if (mlhub) await removeDataDir(mlhub.dataDir);
  });

  it('shows a version: title, authors with ORCID links, DOI badges, versions, signature, and JSON-LD with the DOI', async () => {
    const page = await withScript.newPage();
    const response = await page.goto(pageUrl(`/model/${NAME}/versions/2`));
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(await page.title()).toBe('Digits MLP, version 2');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Digits MLP, version 2');
    expect(await page.getByRole('link', { name: 'Josiah Carberry' }).getAttribute('href')).toBe('https://orcid.org/0000-0002-1825-0097');
    expect(await page.locator('main > p').first().textContent()).toBe('By Josiah Carberry, Ada Lovelace');
    // An author without an ORCID iD is named, not linked.
    expect(await page.getByRole('link', { name: 'Ada Lovelace' }).count()).toBe(0);
    const badges = page.locator('a.doi');
    expect(await badges.evaluateAll((links) => links.map((link) => [link.textContent, link.getAttribute('href')]))).toEqual([
      [`DOI (version 2)${VERSION_DOI}`, `https://doi.org/${VERSION_DOI}`],
      [`DOI (all versions)${CONCEPT_DOI}`, `https://doi.org/${CONCEPT_DOI}`],
    ]);
    expect(await badges.first().isVisible()).toBe(true);
    const versions = page.getByRole('table', { name: `Every version of ${NAME}, newest first` });
    const rows = await versions.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((cells) => [cells[0], cells[4], cells[5]])).toEqual([['2', 'published', VERSION_DOI], ['1', 'withdrawn', `${CONCEPT_DOI}/v1`]]);
    expect(rows.every((cells) => /^[0-9a-f]{64}$/.test(cells[3] ?? ''))).toBe(true);
    const inputs = page.getByRole('table', { name: 'Inputs of version 2' });
    expect(await inputs.locator('tbody td').allTextContents()).toEqual(['pixels', 'FP32', '[N, 1, 28, 28]']);
    const outputs = page.getByRole('table', { name: 'Outputs of version 2' });
    expect(await outputs.locator('tbody td').allTextContents()).toEqual(['probabilities', 'FP32', '[N, 10]']);
    const ld = JSON.parse((await page.locator('script[type="application/ld+json"]').textContent()) ?? '') as Record<string, unknown>;
    expect(ld).toMatchObject({ identifier: `https://doi.org/${VERSION_DOI}`, version: '2', name: 'Digits MLP', author: [{ '@id': 'https://orcid.org/0000-0002-1825-0097', name: 'Josiah Carberry' }, { name: 'Ada Lovelace' }] });
    await page.close();
  });

  it('switches the citation format: the <select> and the style links lead to each format, with the version DOI', async () => {
    const page = await withScript.newPage();
    const landing = pageUrl(`/model/${NAME}/versions/2`);
    await page.goto(landing);
    const select = page.getByLabel('Format');
    expect(await select.locator('option').evaluateAll((options) => options.map((option) => option.getAttribute('value')))).toEqual(Object.keys(FORMATS));
    const seen = new Set<string>();
    for (const [format, expected] of Object.entries(FORMATS)) {
      await page.goto(landing);
      await select.selectOption(format);
      const citation = await citationBehind(page, () => page.getByRole('button', { name: 'Get the citation' }).click());
      expect(new URL(citation.url).pathname, format).toBe(`/model/${NAME}/cite`);
      expect(Object.fromEntries(new URL(citation.url).searchParams), format).toEqual({ version: '2', format });
      expect(citation.text, format).toMatch(expected);
      seen.add(citation.text);
    }
    for (const [style, expected] of Object.entries(STYLES)) {
      await page.goto(landing);
      const citation = await citationBehind(page, () => page.getByRole('link', { name: style, exact: true }).click());
      expect(Object.fromEntries(new URL(citation.url).searchParams), style).toEqual({ format: 'text', style, version: '2' });
      // text/plain: Chromium shows it in the tab.
      expect(citation.shown, style).toBe(true);
      expect(citation.text.trim(), style).toMatch(expected);
      seen.add(citation.text);
    }
    // Every format and style gave its own citation.
    expect(seen.size).toBe(Object.keys(FORMATS).length + Object.keys(STYLES).length);
    await page.close();
  }, 60_000); // twelve navigations, on a CI machine busy with other files

  it('shows the copy buttons with JavaScript on, and they copy the citation', async () => {
    const page = await withScript.newPage();
    await page.goto(pageUrl(`/model/${NAME}/versions/2`));
    const buttons = page.locator('button[data-copy]');
    expect(await buttons.count()).toBe(4);
    for (const button of await buttons.all()) expect(await button.isVisible()).toBe(true);
    const bibtex = (await page.locator('#cite-bibtex').textContent()) ?? '';
    expect(bibtex).toContain(`doi = {${VERSION_DOI}}`);
    await page.evaluate(`navigator.clipboard.writeText('nothing copied yet')`);
    await page.getByRole('button', { name: 'Copy BibTeX' }).click();
    await page.locator('#cite-bibtex-status', { hasText: /./ }).waitFor();
    expect(await page.locator('#cite-bibtex-status').textContent()).toBe('Copied.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(bibtex);
    const reference = (await page.locator('#cite-text').textContent()) ?? '';
    expect(reference).toMatch(STYLES.apa as RegExp);
    await page.locator('button[data-copy="cite-text"]').click();
    await page.locator('#cite-text-status', { hasText: /./ }).waitFor();
    expect(await page.locator('#cite-text-status').textContent()).toBe('Copied.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(reference);
    await page.close();
  });

  it('enforces its Content-Security-Policy: its own script runs, an injected one is refused and reported', async () => {
    const page = await withScript.newPage();
    await page.goto(pageUrl(`/model/${NAME}`));
    // The page's script ran (its hash is allowed): the copy buttons are shown.
    expect(await page.getByRole('button', { name: 'Copy BibTeX' }).isVisible()).toBe(true);
    const reported = page.waitForEvent('console', (message) => message.text().includes('Content Security Policy'));
    await page.evaluate(`document.body.append(Object.assign(document.createElement('script'), { textContent: 'document.title = "injected"' }))`);
    await reported;
    expect(await page.title()).toBe('Digits MLP');
    // The violation reached the console, where every test looks for one.
    expect(problems.splice(0)).toEqual([expect.stringMatching(/^error on .*Content Security Policy/)]);
    await page.close();
  });

  it('reads and cites with JavaScript off: no copy buttons, the form and links still lead to the citation', async () => {
    const page = await withoutScript.newPage();
    const response = await page.goto(pageUrl(`/model/${NAME}`));
    expect(response?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Digits MLP');
    expect(await page.locator('#cite-text').textContent()).toMatch(/^Carberry, J\., & Lovelace, A\. \(\d{4}\)\. Digits MLP \[Trained machine learning model\]\. MLHub \(local\)\. https:\/\/doi\.org\/10\.5072\/mlhub\.browser-digits$/);
    expect(await page.locator('#cite-text').isVisible()).toBe(true);
    const buttons = page.locator('button[data-copy]');
    expect(await buttons.count()).toBe(4);
    for (const button of await buttons.all()) expect(await button.isHidden()).toBe(true);
    // The form's default format, BibTeX, by the concept DOI (the model's page).
    const bibtex = await citationBehind(page, () => page.getByRole('button', { name: 'Get the citation' }).click());
    expect(Object.fromEntries(new URL(bibtex.url).searchParams)).toEqual({ format: 'bibtex' });
    expect(bibtex.text).toMatch(/^@misc\{[\s\S]*\bdoi = \{10\.5072\/mlhub\.browser-digits\}[\s\S]*\btitle = \{Digits \{MLP\}\}/);
    const ieee = await citationBehind(page, () => page.getByRole('link', { name: 'ieee', exact: true }).click());
    expect(ieee.shown).toBe(true);
    expect(ieee.text).toMatch(/^\[1\] J\. Carberry and A\. Lovelace, “Digits MLP[\s\S]*10\.5072\/mlhub\.browser-digits\b/);
    await page.close();
  });

  it('shows a withdrawn version\'s tombstone, with the reason, at 410', async () => {
    const page = await withScript.newPage();
    const response = await page.goto(pageUrl(`/model/${NAME}/versions/1`));
    expect(response?.status()).toBe(410);
    expectGoneReported(pageUrl(`/model/${NAME}/versions/1`));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Digits MLP: withdrawn');
    expect(await page.locator('.notice').textContent()).toMatch(/^Version 1 of browser-digits was withdrawn on \d{4}-\d{2}-\d{2}\. Reason: Wrong labels\.$/);
    expect(await page.locator('a.doi').first().getAttribute('href')).toBe(`https://doi.org/${CONCEPT_DOI}/v1`);
    await page.close();
  });

  it('has no accessibility violations (axe-core): a model, a version and a tombstone', async () => {
    const page = await withScript.newPage();
    for (const [path, status] of [[`/model/${NAME}`, 200], [`/model/${NAME}/versions/2`, 200], [`/model/${NAME}/versions/1`, 410]] as const) {
      expect((await page.goto(pageUrl(path)))?.status(), path).toBe(status);
      if (status === 410) expectGoneReported(pageUrl(path));
      const results = await new AxeBuilder({ page }).analyze();
      // Rules that ran and passed: a page axe could not read would show none.
      expect(results.passes.length, path).toBeGreaterThan(10);
      expect(results.violations.map((violation) => ({ rule: violation.id, help: violation.help, nodes: violation.nodes.map((node) => node.target.join(' ')) })), path).toEqual([]);
    }
    await page.close();
  }, 60_000); // three full axe runs
});
