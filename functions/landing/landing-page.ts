import { createHash } from 'node:crypto';
import type { ModelSignature, TensorSpec } from '../signatures/model-signature';
import { CITATION_FORMAT_NAMES, CITATION_STYLE_NAMES } from '../citations/citation-formats';
import type { CitedWork } from '../citations/cited-work';
import { formatBytes } from '../http/body-limit';
import type { ModelRecord } from '../registry/model-records';
import type { VersionRecord } from '../versions/version-records';
import { html, jsonForScript, Markup } from './html';
import { doiUrl, orcidUrl, relatedUrl, spdxUrl, type RelatedIdentifier } from '../citations/related-links';

/**
 * The landing page of a model or a version: what its DOI opens in a browser. Server-rendered,
 * with no framework and no external resource, readable with JavaScript off; the one script only
 * shows the copy buttons and copies. Everything the record holds is escaped (html.ts).
 */

export interface LandingPageInput {
  readonly work: CitedWork;
  readonly model: ModelRecord;
  readonly versions: readonly VersionRecord[];
  readonly related: readonly RelatedIdentifier[];
  /** The version whose files, signature and prediction the page shows: the one asked for, else the latest ready one. */
  readonly shown: VersionRecord | undefined;
  /** The shown version's inputs and outputs, where known (signatureOf its view). */
  readonly signature: ModelSignature | undefined;
  /** The API's base URL, ending in `/`, for the curl snippets. */
  readonly apiBase: string;
  /** The citation box: the reference in APA, and BibTeX. */
  readonly citation: { readonly text: string; readonly bibtex: string };
  readonly jsonLd: Record<string, unknown>;
}

/** Looks that work without the script; the same bytes are hashed into the Content-Security-Policy. */
const STYLE = `
body{font-family:system-ui,sans-serif;line-height:1.5;max-width:60rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff}
a{color:#0b57d0}
pre{background:#f4f4f4;padding:.75rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace}
.doi{display:inline-flex;border-radius:4px;overflow:hidden;font-size:.9rem;text-decoration:none;margin:0 .5rem .25rem 0}
.doi span{padding:.1rem .5rem;color:#fff}
.doi span:first-child{background:#555}
.doi span:last-child{background:#0b57d0}
.notice{border:2px solid #b3261e;padding:.5rem 1rem;background:#fdecea}
.digest{word-break:break-all;font-size:.85rem}
.text{white-space:pre-line}
`.trim();

/** Shows the copy buttons (hidden without the script), and copies the text of the element a button names. */
const SCRIPT = `
for(const b of document.querySelectorAll('button[data-copy]')){b.hidden=false;b.addEventListener('click',async()=>{const s=document.getElementById(b.dataset.copy+'-status');try{await navigator.clipboard.writeText(document.getElementById(b.dataset.copy).textContent);s.textContent='Copied.'}catch{s.textContent='Copying failed: select the text instead.'}})}
`.trim();

const hashOf = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of landing pages: nothing but the page's own inline style and
 * script (by their hashes, CSP Level 3 §8.3), forms to this origin only (the citation form), no
 * base URL, no framing, nothing else loaded (no image, font or fetch). The JSON-LD block is data,
 * which `script-src` does not govern.
 */
export const LANDING_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${hashOf(STYLE)}`,
  `script-src ${hashOf(SCRIPT)}`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers every landing page and tombstone page carries, beside its status. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': LANDING_PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
} as const;

/** Links to the cite route, relative to the page (`./name/cite` from /model/name, `../cite` from /model/name/versions/n), so they work under any base path. */
function citeHref(model: string, onVersionPage: boolean, query: Record<string, string>): string {
  const base = onVersionPage ? '../cite' : `./${encodeURIComponent(model)}/cite`;
  return `${base}?${new URLSearchParams(query).toString()}`;
}

function versionHref(model: string, onVersionPage: boolean, version: number): string {
  return onVersionPage ? `./${version}` : `./${encodeURIComponent(model)}/versions/${version}`;
}

function page(title: string, head: Markup, body: Markup): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${head}
<style>${new Markup(STYLE)}</style>
</head>
<body>
${body}
</body>
</html>
`.text;
}

const doiBadge = (label: string, doi: string): Markup =>
  html`<a class="doi" href="${doiUrl(doi)}"><span>${label}</span><span>${doi}</span></a>`;

function authorsList(authors: CitedWork['snapshot']['metadata']['authors']): Markup {
  const creators = (authors ?? []).filter((author) => author.role === 'creator');
  if (creators.length === 0) return html``;
  return html`<p>By ${creators.map((author, index) => html`${index > 0 ? ', ' : ''}${author.orcid
    ? html`<a href="${orcidUrl(author.orcid)}" title="ORCID iD ${author.orcid}">${author.name}</a>`
    : author.name}${author.affiliation ? html` (${author.affiliation.name})` : ''}`)}</p>`;
}

function identifiersSection(work: CitedWork): Markup {
  if (work.kind === 'unpublished') return html`<p>No DOI yet: this ${work.version === undefined ? 'model' : 'version'} is not published. Cite it by its URL, <a href="${work.landingUrl}">${work.landingUrl}</a>, with the date you read it.</p>`;
  return html`<p>
${work.kind === 'version' && work.doi ? doiBadge(`DOI (version ${work.version ?? ''})`, work.doi) : ''}
${work.conceptDoi ? doiBadge('DOI (all versions)', work.conceptDoi) : ''}
</p>`;
}

function detailsList(work: CitedWork): Markup {
  const { snapshot } = work;
  const { metadata } = snapshot;
  return html`<dl>
${metadata.license ? html`<dt>Licence</dt><dd><a href="${spdxUrl(metadata.license)}">${metadata.license}</a></dd>` : ''}
${metadata.keywords && metadata.keywords.length > 0 ? html`<dt>Keywords</dt>${metadata.keywords.map((keyword) => html`<dd>${keyword}</dd>`)}` : ''}
${metadata.task ? html`<dt>Task</dt><dd>${metadata.task}</dd>` : ''}
${snapshot.discipline ? html`<dt>Discipline</dt><dd>${snapshot.discipline}</dd>` : ''}
<dt>Publisher</dt><dd>${work.publisher}</dd>
<dt>${work.kind === 'unpublished' ? 'Last changed' : 'Published'}</dt><dd><time datetime="${work.issued}">${work.issued.slice(0, 10)}</time></dd>
</dl>`;
}

function versionsTable(input: LandingPageInput, onVersionPage: boolean): Markup {
  const rows = [...input.versions].sort((a, b) => b.version - a.version);
  if (rows.length === 0) return html`<p>No versions yet.</p>`;
  return html`<table>
<caption>Every version of ${input.model.name}, newest first</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Created</th><th scope="col">Size</th><th scope="col">SHA-256</th><th scope="col">Status</th><th scope="col">DOI</th></tr></thead>
<tbody>
${rows.map((version) => {
    const current = onVersionPage && version.version === input.shown?.version;
    const publication = version.publication;
    const status = publication && (publication.state === 'published' || publication.state === 'withdrawn') ? publication.state : version.status;
    return html`<tr>
<td>${current ? html`<a href="${versionHref(input.model.name, onVersionPage, version.version)}" aria-current="page">${version.version}</a>` : html`<a href="${versionHref(input.model.name, onVersionPage, version.version)}">${version.version}</a>`}</td>
<td><time datetime="${version.createdAt}">${version.createdAt.slice(0, 10)}</time></td>
<td>${version.size > 0 ? formatBytes(version.size) : '—'}</td>
<td class="digest"><code>${version.sha256 || '—'}</code></td>
<td>${status}</td>
<td>${publication && publication.state !== 'publish_failed' ? html`<a href="${doiUrl(publication.doi)}">${publication.doi}</a>` : '—'}</td>
</tr>`;
  })}
</tbody>
</table>`;
}

function filesSection(shown: VersionRecord | undefined): Markup {
  const manifest = shown?.manifest;
  if (!shown || !manifest) return html`<p>No files to list: no version is ready.</p>`;
  const listed = manifest.files.length;
  return html`<table>
<caption>Files of version ${shown.version}${manifest.root ? html` (in folder <code>${manifest.root}/</code>)` : ''}${listed < manifest.fileCount ? `: the first ${listed} of ${manifest.fileCount}` : ''}</caption>
<thead><tr><th scope="col">Path</th><th scope="col">Size</th></tr></thead>
<tbody>
${manifest.files.map((file) => html`<tr><td><code>${file.path}</code></td><td>${formatBytes(file.size)}</td></tr>`)}
</tbody>
</table>`;
}

/**
 * A version view's `signature` (`{inputs, outputs}`, each `[{name, datatype, shape}]`), when it
 * has one: where MLHub has read it from the model; otherwise undefined.
 */
export function signatureOf(view: object): ModelSignature | undefined {
  const signature = (view as { signature?: unknown }).signature;
  if (!signature || typeof signature !== 'object') return undefined;
  const { inputs, outputs } = signature as Partial<ModelSignature>;
  return Array.isArray(inputs) && Array.isArray(outputs) ? { inputs, outputs } : undefined;
}

function signatureSection(shown: VersionRecord | undefined, signature: ModelSignature | undefined): Markup {
  if (!signature) return html``;
  const table = (caption: string, tensors: readonly TensorSpec[]) => html`<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Shape</th></tr></thead>
<tbody>
${tensors.map((tensor) => html`<tr><td><code>${tensor.name}</code></td><td>${tensor.datatype ?? 'unknown'}</td><td>${tensor.shape === null ? 'unknown' : html`<code>[${tensor.shape.map((dimension) => (dimension === null ? '?' : String(dimension))).join(', ')}]</code>`}</td></tr>`)}
</tbody>
</table>`;
  return html`<section aria-labelledby="signature">
<h2 id="signature">Inputs and outputs</h2>
${table(`Inputs of version ${shown?.version ?? ''}`, signature.inputs)}
${table(`Outputs of version ${shown?.version ?? ''}`, signature.outputs)}
</section>`;
}

function predictSection(input: LandingPageInput): Markup {
  const { model, shown, apiBase } = input;
  if (!shown || shown.status !== 'ready') return html``;
  const url = `${apiBase}model/${encodeURIComponent(model.name)}/predict?version=${shown.version}`;
  const auth = model.visibility === 'private' ? ' -H "Authorization: Bearer $MLHUB_TOKEN"' : '';
  const { signature } = input;
  const body = signature && signature.inputs.length > 1
    ? `{"inputs": {${signature.inputs.map((tensor) => `"${tensor.name}": […]`).join(', ')}}}`
    : '{"input": […]}';
  const curl = `curl -X POST${auth} -H "content-type: application/json" \\\n  -d '${body}' '${url}'\ncurl${auth} -F 'image=@picture.png' '${url}'`;
  const cli = `mlhub predict ${model.name} --version ${shown.version} --input '[…]'\nmlhub predict ${model.name} --version ${shown.version} --image picture.png`;
  return html`<section aria-labelledby="predict">
<h2 id="predict">How to predict</h2>
<p>With curl (the image form is for models that take images):</p>
<pre id="predict-curl"><code>${curl}</code></pre>
<p><button type="button" data-copy="predict-curl" hidden>Copy</button> <span id="predict-curl-status" role="status"></span></p>
<p>With the <code>mlhub</code> command-line client:</p>
<pre id="predict-cli"><code>${cli}</code></pre>
<p><button type="button" data-copy="predict-cli" hidden>Copy</button> <span id="predict-cli-status" role="status"></span></p>
</section>`;
}

function citationSection(input: LandingPageInput, onVersionPage: boolean): Markup {
  const { work, model, citation } = input;
  const version: Record<string, string> = onVersionPage && work.version !== undefined ? { version: String(work.version) } : {};
  const formats = CITATION_FORMAT_NAMES.filter((format) => format !== 'text' && format !== 'html');
  return html`<section aria-labelledby="cite">
<h2 id="cite">Cite this ${onVersionPage ? 'version' : 'model'}</h2>
<p id="cite-text">${citation.text.trim()}</p>
<p><button type="button" data-copy="cite-text" hidden>Copy</button> <span id="cite-text-status" role="status"></span></p>
<pre id="cite-bibtex"><code>${citation.bibtex.trim()}</code></pre>
<p><button type="button" data-copy="cite-bibtex" hidden>Copy BibTeX</button> <span id="cite-bibtex-status" role="status"></span></p>
<p>Other formats: ${formats.map((format, index) => html`${index > 0 ? ', ' : ''}<a href="${citeHref(model.name, onVersionPage, { format, ...version })}">${format}</a>`)};
text in ${CITATION_STYLE_NAMES.map((style, index) => html`${index > 0 ? ', ' : ''}<a href="${citeHref(model.name, onVersionPage, { format: 'text', style, ...version })}">${style}</a>`)}.</p>
<form method="get" action="${onVersionPage ? '../cite' : `./${encodeURIComponent(model.name)}/cite`}">
${work.version !== undefined && onVersionPage ? html`<input type="hidden" name="version" value="${work.version}">` : ''}
<label for="cite-format">Format</label>
<select id="cite-format" name="format">
${formats.map((format) => html`<option value="${format}">${format}</option>`)}
</select>
<button type="submit">Get the citation</button>
</form>
</section>`;
}

function relatedSection(related: readonly RelatedIdentifier[]): Markup {
  if (related.length === 0) return html``;
  return html`<section aria-labelledby="related">
<h2 id="related">Related identifiers</h2>
<ul>
${related.map((item) => html`<li>${item.relation_type}: <a href="${relatedUrl(item)}">${item.identifier_type} ${item.identifier}</a></li>`)}
</ul>
</section>`;
}

/** The landing page of a model (its concept DOI) or of a version (its version DOI). */
export function landingPage(input: LandingPageInput): string {
  const { work, model } = input;
  const onVersionPage = work.version !== undefined && work.kind !== 'concept';
  const { metadata } = work.snapshot;
  const title = metadata.title ?? model.name;
  const heading = onVersionPage ? `${title}, version ${work.version ?? ''}` : title;
  const head = html`${work.doi ? html`<link rel="cite-as" href="${doiUrl(work.doi)}">` : ''}
<link rel="describedby" type="application/ld+json" href="${work.landingUrl}">
<link rel="describedby" type="application/vnd.datacite.datacite+json" href="${work.landingUrl}">
${work.snapshot.description ? html`<meta name="description" content="${work.snapshot.description.slice(0, 300)}">` : ''}
<script type="application/ld+json">${jsonForScript(input.jsonLd)}</script>`;
  const body = html`<header><p>${work.publisher}: a trained machine learning model${onVersionPage ? html`, one version of <a href="../../${encodeURIComponent(model.name)}">${model.name}</a>` : html` (<code>${model.name}</code>)`}</p></header>
<main>
<h1 dir="auto">${heading}</h1>
${authorsList(metadata.authors)}
${work.withdrawn ? html`<p class="notice">Withdrawn on ${work.withdrawn.date.slice(0, 10)}${work.withdrawn.reason ? `: ${work.withdrawn.reason}` : ''}.</p>` : ''}
<section aria-labelledby="identifiers">
<h2 id="identifiers">Identifiers</h2>
${identifiersSection(work)}
</section>
${work.snapshot.description ? html`<section aria-labelledby="description"><h2 id="description">Description</h2><p class="text" dir="auto">${work.snapshot.description}</p></section>` : ''}
<section aria-labelledby="details">
<h2 id="details">Details</h2>
${detailsList(work)}
</section>
<section aria-labelledby="versions">
<h2 id="versions">Versions</h2>
${versionsTable(input, onVersionPage)}
</section>
<section aria-labelledby="files">
<h2 id="files">Files</h2>
${filesSection(input.shown)}
</section>
${signatureSection(input.shown, input.signature)}
${predictSection(input)}
${citationSection(input, onVersionPage)}
${relatedSection(input.related)}
</main>
<footer><p>The same URL answers JSON, JSON-LD, DataCite JSON, BibTeX, RIS, CSL-JSON and formatted text to an <code>Accept</code> header.</p></footer>
<script>${new Markup(SCRIPT)}</script>`;
  return page(heading, head, body);
}

/** What a tombstone shows: the Tombstone component (functions/publishing/tombstones.ts). */
export interface TombstoneView {
  readonly model: string;
  readonly version: number | null;
  readonly title: string | null;
  readonly authors: readonly { readonly name: string; readonly orcid?: string; readonly role?: string }[];
  readonly doi: string | null;
  readonly concept_doi: string | null;
  readonly sha256?: string | null;
  readonly withdrawn: string | null;
  readonly reason: string | null;
  readonly versions: readonly { readonly version: number; readonly doi: string }[];
}

/** The page a withdrawn version or model answers (410): what stays of it, and when and why it was withdrawn. */
export function tombstonePage(tombstone: TombstoneView, publisher: string): string {
  const what = tombstone.version === null ? `Model ${tombstone.model}` : `Version ${tombstone.version} of ${tombstone.model}`;
  const title = `${tombstone.title ?? tombstone.model}: withdrawn`;
  const head = html`${tombstone.doi ? html`<link rel="cite-as" href="${doiUrl(tombstone.doi)}">` : ''}`;
  const body = html`<header><p>${publisher}: a trained machine learning model</p></header>
<main>
<h1>${title}</h1>
<p class="notice">${what} was withdrawn${tombstone.withdrawn ? ` on ${tombstone.withdrawn.slice(0, 10)}` : ''}. Reason: ${tombstone.reason ?? 'none given'}.</p>
${authorsList(tombstone.authors.filter((author) => (author.role ?? 'creator') === 'creator').map((author) => ({ name: author.name, ...(author.orcid ? { orcid: author.orcid } : {}), role: 'creator' as const })))}
<section aria-labelledby="identifiers">
<h2 id="identifiers">Identifiers</h2>
<p>${tombstone.doi ? doiBadge(tombstone.version === null ? 'DOI (all versions)' : `DOI (version ${tombstone.version})`, tombstone.doi) : ''}
${tombstone.concept_doi && tombstone.concept_doi !== tombstone.doi ? doiBadge('DOI (all versions)', tombstone.concept_doi) : ''}</p>
${tombstone.versions.length > 0 ? html`<ul>${tombstone.versions.map((version) => html`<li>Version ${version.version}: <a href="${doiUrl(version.doi)}">${version.doi}</a></li>`)}</ul>` : ''}
${tombstone.sha256 ? html`<p>Its bundle's SHA-256 was <code>${tombstone.sha256}</code>.</p>` : ''}
<p>The DOIs still resolve here; the files are no longer available.</p>
</section>
</main>`;
  return page(title, head, body);
}
