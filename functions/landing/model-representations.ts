import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { citableModel, type CitableModelDeps } from '../citations/citable-model';
import { renderCitation, type CitationEngine } from '../citations/citation';
import { citedWork, type CitationContext } from '../citations/cited-work';
import { citationSettings } from '../citations/citation-settings';
import { isAppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { HttpResult } from '../http/responses';
import { isWithdrawn, versionTombstone } from '../publishing/tombstones';
import { relatedIdentifiersOf, versionView } from '../registry/model-views';
import type { VersionRecord } from '../versions/version-records';
import { landingPage, PAGE_HEADERS, signatureOf, tombstonePage, type TombstoneView } from './landing-page';
import { modelJsonLd } from './model-jsonld';
import { BIBLIOGRAPHY_CONTENT_TYPE, type Representation } from './representations';
import { linkHeader, signpostingLinks, tombstoneLinks } from './signposting';

/**
 * The representations of a model's or a version's URL other than the JSON record: citations,
 * JSON-LD and the landing page. The handlers load this module only when content negotiation chose
 * one of them (functions/landing/representations.ts), and it loads citation-js
 * (`#citation-engine`, which the deployed functions find beside their bundle:
 * lib/functions/handler-bundling.ts) only for a citation or a page, so that JSON callers never
 * pay for either: not even to parse them.
 *
 * What is shown is what GET /model/{name}/cite cites (functions/citations/citable-model.ts):
 * - a citation, or JSON-LD, of a withdrawn version answers 200, marked withdrawn, as /cite does:
 *   its DOI resolves for ever, and its metadata stays anyone's to read;
 * - the landing page of a withdrawn version or model is its tombstone page, at 410;
 * - every other error (a private model to a stranger: 404) stays the usual JSON error.
 */

export interface RepresentationRequest {
  readonly actor: Actor;
  readonly name: string;
  /** The version of `GET /model/{name}/versions/{n}`; absent on the model's URL. */
  readonly version?: number;
  /**
   * Where the model and its versions are read (the version route's with ReadyVersions, which the
   * model's does without): passed in by the handler, so that this module, loaded on demand, brings
   * no service or AWS client of its own into the bundle.
   */
  readonly deps: CitableModelDeps;
  readonly event: APIGatewayProxyEventV2;
}

type Alternate = Exclude<Representation, { kind: 'json' }>;

const withdrawnCodes = new Set(['model_withdrawn', 'version_withdrawn']);

/** The version a page shows files, signature and prediction of: the one asked for, else the latest ready one. */
function shownVersion(versions: readonly VersionRecord[], requested: number | undefined, latest: number | undefined): VersionRecord | undefined {
  const wanted = requested ?? latest;
  return versions.find((version) => version.version === wanted) ?? [...versions].filter((version) => version.status === 'ready').sort((a, b) => b.version - a.version)[0];
}

function bundleUrl(base: string, name: string, version: VersionRecord | undefined): string | undefined {
  if (!version || version.status !== 'ready' || isWithdrawn(version)) return undefined;
  return `${base}model/${encodeURIComponent(name)}/download?version=${version.version}`;
}

const gonePage = (tombstone: TombstoneView, context: CitationContext): HttpResult => ({
  statusCode: 410,
  headers: { ...PAGE_HEADERS, 'cache-control': 'no-cache', link: linkHeader(tombstoneLinks(tombstone)) },
  body: tombstonePage(tombstone, context.publisher, `${context.landingBaseUrl}model/${encodeURIComponent(tombstone.model)}`),
});

/** Answers a model's or a version's URL in `representation` (not JSON: the handlers answer that themselves). */
export async function answerRepresentation(representation: Alternate, request: RepresentationRequest): Promise<HttpResult> {
  const settings = citationSettings(process.env, request.event.requestContext.domainName);
  const context: CitationContext = { ...settings, now: new Date().toISOString() };
  let found: Awaited<ReturnType<typeof citableModel>>;
  try {
    found = await citableModel(request.deps, request.actor, request.name, request.version);
  } catch (error) {
    const tombstone = isAppError(error) && withdrawnCodes.has(error.code) ? error.details.tombstone : undefined;
    if (representation.kind === 'html' && tombstone) return gonePage(tombstone as TombstoneView, context);
    throw error;
  }
  const { model, versions } = found;
  const work = citedWork(model, versions, request.version, context);
  const engine = (): Promise<CitationEngine> => import('#citation-engine');
  // no-cache, as citations: a work without a DOI carries today's access date, and a version may be withdrawn.
  const headers = { 'cache-control': 'no-cache' };
  if (representation.kind === 'citation') {
    const citation = renderCitation(work, { format: representation.format, style: representation.style }, versions, context, await engine());
    const mediaType = representation.format === 'text' ? BIBLIOGRAPHY_CONTENT_TYPE : citation.mediaType;
    return { statusCode: 200, headers: { ...headers, 'content-type': mediaType }, body: citation.body };
  }
  // As what is cited: a published work's frozen snapshot, else the record as it is now (with its `reference` DOI).
  const related = work.kind === 'unpublished' ? relatedIdentifiersOf(model) : work.snapshot.metadata.related_identifiers ?? [];
  const jsonLd = modelJsonLd(work, related);
  if (representation.kind === 'jsonld') {
    return { statusCode: 200, headers: { ...headers, 'content-type': 'application/ld+json' }, body: `${JSON.stringify(jsonLd, null, 2)}\n` };
  }
  const requested = request.version === undefined ? undefined : versions.find((version) => version.version === request.version);
  if (requested && isWithdrawn(requested)) return gonePage(versionTombstone(requested), context);
  const shown = shownVersion(versions, request.version, model.latestVersion);
  const loaded = await engine();
  const text = renderCitation(work, { format: 'text', style: 'apa' }, versions, context, loaded).body;
  const bibtex = renderCitation(work, { format: 'bibtex', style: 'apa' }, versions, context, loaded).body;
  const signature = shown ? signatureOf(versionView(shown)) : undefined;
  const body = landingPage({ work, model, versions, related, shown, signature, apiBase: settings.landingBaseUrl, citation: { text, bibtex }, jsonLd });
  return {
    statusCode: 200,
    headers: { ...headers, ...PAGE_HEADERS, link: linkHeader(signpostingLinks(work, bundleUrl(settings.landingBaseUrl, model.name, shown))) },
    body,
  };
}
