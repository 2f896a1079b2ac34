import { warmCitationEngine } from '../citations/citation-engine';
import { DEFAULT_CITATION_FORMAT, DEFAULT_CITATION_STYLE, STYLED_FORMATS } from '../citations/citation-formats';
import { citationSettings } from '../citations/citation-settings';
import { citeModel as cite } from '../citations/citation';
import { citeModel } from '../contracts/model-contracts';
import { AppError, invalid, isAppError } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { routeHandler } from '../http/route-handler';
import { readyVersions } from '../platform/bundle-services';
import { modelRegistry, tableServices } from '../platform/table-services';
import { isWithdrawn } from '../publishing/tombstones';
import type { ModelRecord } from '../registry/model-records';
import type { VersionRecord } from '../versions/version-records';

// In the init phase, not on a caller's request: the first citation compiles the styles.
warmCitationEngine();

/**
 * The model and versions a citation reads, as `GET /model/{name}` shows them to the caller. A
 * withdrawn version is cited even when its whole model was withdrawn: its DOI resolves for ever,
 * and its tombstone is anyone's to read (functions/publishing/tombstones.ts).
 */
async function citable(actor: Actor, name: string, requested: number | undefined): Promise<{ model: ModelRecord; versions: readonly VersionRecord[] }> {
  try {
    return await modelRegistry().getModel(actor, name);
  } catch (error) {
    if (requested !== undefined && isAppError(error) && error.code === 'model_withdrawn') {
      const found = await tableServices().models.getModel(name);
      const version = found?.versions.find((candidate) => candidate.version === requested);
      if (found && version && isWithdrawn(version)) return { model: found.model, versions: [version] };
    }
    throw error;
  }
}

/**
 * `GET /model/{name}/cite?format=…&version=N&style=…`: a model's or a version's citation
 * (functions/citations/citation.ts), to anyone who may see the model. A version that is not
 * among the model's answers as `GET …/versions/{n}` does: 404, or 410 once it ended.
 */
export const handler = routeHandler(citeModel, async ({ actor, params, query, event }) => {
  const format = query.format ?? DEFAULT_CITATION_FORMAT;
  if (query.style !== undefined && !STYLED_FORMATS.includes(format)) {
    throw invalid('invalid_style', `Query parameter 'style' applies to format ${STYLED_FORMATS.join(' or ')} only, not to '${format}'`);
  }
  const { model, versions } = await citable(actor, params.name, query.version);
  if (query.version !== undefined && !versions.some((version) => version.version === query.version)) {
    // Throws the 404 or 410 a read of the version gives; a version that appeared since is read again.
    await readyVersions().version(actor, params.name, query.version);
    throw new AppError('conflict', 'version_not_found', `Version ${query.version} of model '${params.name}' changed while it was being cited; ask again`);
  }
  const settings = citationSettings(process.env, event.requestContext.domainName);
  const citation = cite(model, versions, query.version, { format, style: query.style ?? DEFAULT_CITATION_STYLE }, { ...settings, now: new Date().toISOString() });
  return {
    statusCode: 200,
    headers: { 'content-type': citation.mediaType, 'cache-control': 'no-cache' },
    body: citation.body,
  };
});
