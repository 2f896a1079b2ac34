import { HtmlValidate } from 'html-validate';
import { describe, expect, it } from 'vitest';
import { renderCitation } from '../../../functions/citations/citation';
import * as citationEngine from '../../../functions/citations/citation-engine';
import { citedWork } from '../../../functions/citations/cited-work';
import { landingPage, signatureOf, tombstonePage } from '../../../functions/landing/landing-page';
import { modelJsonLd } from '../../../functions/landing/model-jsonld';
import { linkHeader, signpostingLinks } from '../../../functions/landing/signposting';
import type { ModelRecord } from '../../../functions/registry/model-records';
import { CONTEXT, MODEL, VERSIONS } from '../citations/citation-fixtures';

/* The landing page's renderer, JSON-LD and signposting, on records no HTTP test can make (hostile text, a signature). */

// As in test/integration/landing-pages.test.ts: a title is the model's, however long.
const validator = new HtmlValidate({ extends: ['html-validate:recommended'], rules: { 'long-title': 'off' } });

const HOSTILE = '</script><script>alert(1)</script> & "quotes" \'single\' <!--';
const hostile: ModelRecord = { ...MODEL, title: HOSTILE, description: HOSTILE, keywords: [HOSTILE], authors: [{ name: HOSTILE, orcid: '0000-0002-1825-0097', role: 'creator' }] };

function render(model: ModelRecord, requested: number | undefined, signature?: Parameters<typeof landingPage>[0]['signature']): { page: string; jsonLd: Record<string, unknown> } {
  const work = citedWork(model, VERSIONS, requested, CONTEXT);
  const jsonLd = modelJsonLd(work, model.related_identifiers ?? []);
  const cite = (format: 'text' | 'bibtex') => renderCitation(work, { format, style: 'apa' }, VERSIONS, CONTEXT, citationEngine).body;
  const shown = VERSIONS.find((version) => version.version === (requested ?? 3));
  return { page: landingPage({ work, model, versions: VERSIONS, related: model.related_identifiers ?? [], shown, signature, apiBase: CONTEXT.landingBaseUrl, citation: { text: cite('text'), bibtex: cite('bibtex') }, jsonLd }), jsonLd };
}

describe('the landing page renderer', () => {
  it('escapes every value: a hostile title stays text, in the page and in its JSON-LD block', async () => {
    // Version 3 has no DOI: it shows the model's metadata as it is now (a published one shows its frozen snapshot).
    const { page, jsonLd } = render(hostile, 3);
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain('<!--');
    expect(page).toContain('&#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;quotes&#34; &#39;single&#39; &#60;!--');
    // One inline script (the copy buttons) and one data block: nothing the title could have opened.
    expect(page.match(/<script/g)).toHaveLength(2);
    const block = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
    expect(JSON.parse(block)).toEqual(jsonLd);
    expect((jsonLd as { name: string }).name).toBe(HOSTILE);
    expect((await validator.validateString(page)).valid).toBe(true);
  });

  it('shows a version\'s signature, when its view has one, and fits the curl example to its inputs', async () => {
    const view = { version: 3, signature: { inputs: [{ name: 'pixels', datatype: 'float32', shape: [null, 784] }, { name: 'mask', datatype: 'bool', shape: ['batch', 784] }], outputs: [{ name: 'probabilities', datatype: 'float32', shape: [null, 10] }] } };
    const signature = signatureOf(view);
    expect(signature).toEqual(view.signature);
    expect(signatureOf({ version: 3 })).toBeUndefined();
    expect(signatureOf({ version: 3, signature: null })).toBeUndefined();
    const { page } = render(MODEL, 3, signature);
    expect(page).toContain('<h2 id="signature">Inputs and outputs</h2>');
    expect(page).toContain('<tr><td><code>pixels</code></td><td>float32</td><td><code>[?, 784]</code></td></tr>');
    expect(page).toContain('<tr><td><code>mask</code></td><td>bool</td><td><code>[batch, 784]</code></td></tr>');
    expect(page).toContain('<tr><td><code>probabilities</code></td><td>float32</td><td><code>[?, 10]</code></td></tr>');
    expect(page).toContain('{&#34;inputs&#34;: {&#34;pixels&#34;: […], &#34;mask&#34;: […]}}');
    expect((await validator.validateString(page)).valid).toBe(true);
    expect(render(MODEL, 3).page).not.toContain('id="signature"');
  });

  it('shows a signature whose ranks or types are unknown (params.json without shapes, an ONNX map output)', async () => {
    const signature = signatureOf({ version: 3, signature: { inputs: [{ name: 'x', datatype: null, shape: null }], outputs: [{ name: 'probabilities', datatype: null, shape: null }, { name: 'label', datatype: 'INT64', shape: [null] }] } });
    const { page } = render(MODEL, 3, signature);
    expect(page).toContain('<tr><td><code>x</code></td><td>unknown</td><td>unknown</td></tr>');
    expect(page).toContain('<tr><td><code>label</code></td><td>INT64</td><td><code>[?]</code></td></tr>');
    expect((await validator.validateString(page)).valid).toBe(true);
  });

  it('gives a withdrawn version\'s tombstone page its reason, escaped', async () => {
    const page = tombstonePage({
      model: 'digits', version: 1, title: 'Digits <MLP>', authors: [{ name: 'Ada', orcid: '0000-0002-1825-0097', role: 'creator' }, { name: 'Charles Babbage', role: 'ContactPerson' }],
      doi: '10.5072/mlhub.digits/v1', concept_doi: '10.5072/mlhub.digits', sha256: 'a'.repeat(64), withdrawn: '2025-09-01T00:00:00.000Z', reason: 'Mislabelled <data>', versions: [],
    }, 'MLHub Test');
    expect(page).toContain('Version 1 of digits was withdrawn on 2025-09-01. Reason: Mislabelled &#60;data&#62;.');
    // Its authors are its creators, as on its page before; the contact person is not one.
    expect(page).toContain('>Ada</a>');
    expect(page).not.toContain('Charles Babbage');
    expect(page).toContain(`<code>${'a'.repeat(64)}</code>`);
    expect(page).toContain('<link rel="cite-as" href="https://doi.org/10.5072/mlhub.digits/v1">');
    expect((await validator.validateString(page)).valid).toBe(true);
  });
});

describe('signposting', () => {
  it('writes a Link header whose targets cannot break out of <…>', () => {
    const work = citedWork({ ...MODEL, authors: [{ name: 'Ada', orcid: '0000-0002-1825-0097', role: 'creator' }] }, VERSIONS, 2, { ...CONTEXT, landingBaseUrl: 'https://hub.example.org/a b>"<é/' });
    const header = linkHeader(signpostingLinks(work, 'https://hub.example.org/model/digits/download?version=2'));
    expect(header).toContain('<https://hub.example.org/a%20b%3E%22%3C%C3%A9/model/digits/versions/2>; rel="describedby"; type="application/ld+json"');
    expect(header).toContain('<https://doi.org/10.5072/mlhub.digits/v2>; rel="cite-as"');
    expect(header).toContain('<https://hub.example.org/model/digits/download?version=2>; rel="item"; type="application/gzip"');
    expect(header).toContain('<https://orcid.org/0000-0002-1825-0097>; rel="author"');
    expect(header).toContain('<https://spdx.org/licenses/MIT.html>; rel="license"');
  });

  it('names no cite-as for a work without a DOI: its landing page is not a persistent identifier', () => {
    const work = citedWork(MODEL, [VERSIONS[2] as (typeof VERSIONS)[number]], undefined, CONTEXT);
    expect(signpostingLinks(work, undefined).map((link) => link.rel)).not.toContain('cite-as');
  });
});
