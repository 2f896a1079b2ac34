import { getVersion } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { readyVersions } from '../platform/bundle-services';
import { versionView } from '../registry/model-views';

/** `GET /model/{name}/versions/{n}`: a version as it stands, to watch an upload's check; 410 once it ended. */
export const handler = routeHandler(getVersion, async ({ actor, params }) => {
  const name = params.name;
  const version = await readyVersions().version(actor, name, params.n);
  return jsonResponse(200, { model: name, ...versionView(version) }, { 'cache-control': 'no-store' });
});
