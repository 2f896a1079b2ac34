import { getVersion } from '../contracts/version-contracts';
import { negotiate } from '../landing/representations';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { readyVersions } from '../platform/bundle-services';
import { modelRegistry, tableServices } from '../platform/table-services';
import { versionView } from '../registry/model-views';

/**
 * `GET /model/{name}/versions/{n}`: a version as it stands, to watch an upload's check; 410 once
 * it ended. By content negotiation (functions/landing/representations.ts), its citation, JSON-LD
 * or landing page instead, loaded on first use as in get-model.ts.
 */
export const handler = routeHandler(getVersion, async ({ actor, params, headers, event }) => {
  const name = params.name;
  const representation = negotiate(headers.accept);
  if (representation.kind !== 'json') {
    const { answerRepresentation } = await import('../landing/model-representations');
    return answerRepresentation(representation, { actor, name, version: params.n, event, deps: { registry: modelRegistry(), models: tableServices().models, versions: readyVersions() } });
  }
  const version = await readyVersions().version(actor, name, params.n);
  return jsonResponse(200, { model: name, ...versionView(version) }, { 'cache-control': 'no-store' });
}, { vary: ['accept'] });
