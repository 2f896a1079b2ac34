import { deleteVersion } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { versionRemoval } from '../platform/bundle-services';
import { versionView } from '../registry/model-views';

/**
 * `DELETE /model/{name}/versions/{n}[?reason=]`: one version becomes a tombstone (410 from then on)
 * and its bytes go; one with a DOI is withdrawn (VersionRemoval.deleteVersion).
 */
export const handler = routeHandler(deleteVersion, async ({ actor, params, query }) => {
  const name = params.name;
  const version = await versionRemoval().deleteVersion(actor, name, params.n, query.reason);
  return jsonResponse(200, { model: name, ...versionView(version) });
});
