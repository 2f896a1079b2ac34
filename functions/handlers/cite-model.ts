import { citableModel } from '../citations/citable-model';
import { citeModel as cite } from '../citations/citation';
import * as citationEngine from '../citations/citation-engine';
import { DEFAULT_CITATION_FORMAT, DEFAULT_CITATION_STYLE, STYLED_FORMATS, citationFilename } from '../citations/citation-formats';
import { citationSettings } from '../citations/citation-settings';
import { citeModel } from '../contracts/model-contracts';
import { invalid } from '../errors/app-error';
import { routeHandler } from '../http/route-handler';
import { readyVersions } from '../platform/bundle-services';
import { modelRegistry, tableServices } from '../platform/table-services';

/** Every citation's: its media type is the one to read it as, and an HTML one is inert. */
const FRAGMENT_HEADERS = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" } as const;

// In the init phase, not on a caller's request: the first citation compiles the styles.
citationEngine.warmCitationEngine();

/**
 * `GET /model/{name}/cite?format=…&version=N&style=…`: a model's or a version's citation
 * (functions/citations/citation.ts), in the media type of its format, to anyone who may see the
 * model (functions/citations/citable-model.ts). `style` belongs to `text` and `html` only: sent
 * with another format it is refused rather than ignored.
 */
export const handler = routeHandler(citeModel, async ({ actor, params, query, event }) => {
  const format = query.format ?? DEFAULT_CITATION_FORMAT;
  if (query.style !== undefined && !STYLED_FORMATS.includes(format)) {
    throw invalid('invalid_style', `Query parameter 'style' applies to format ${STYLED_FORMATS.join(' or ')} only, not to '${format}'`);
  }
  const { model, versions } = await citableModel({ registry: modelRegistry(), models: tableServices().models, versions: readyVersions() }, actor, params.name, query.version);
  const settings = citationSettings(process.env, event.requestContext.domainName);
  const citation = cite(model, versions, query.version, { format, style: query.style ?? DEFAULT_CITATION_STYLE }, { ...settings, now: new Date().toISOString() }, citationEngine);
  // no-cache: a citation without a DOI carries today's access date, and a version may be withdrawn.
  // An HTML citation is a fragment of the owner's text: opened on its own it may run, load or frame nothing.
  // Shown where the browser can show it, else saved under a name that says what it is (RFC 6266).
  const disposition = `inline; filename="${citationFilename(format, params.name, query.version)}"`;
  return { statusCode: 200, headers: { 'content-type': citation.mediaType, 'content-disposition': disposition, 'cache-control': 'no-cache', ...FRAGMENT_HEADERS }, body: citation.body };
});
