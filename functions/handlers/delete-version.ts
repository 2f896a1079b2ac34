import { deleteVersion } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { versionRemoval } from '../platform/bundle-services';
import { versionView } from '../registry/model-views';

/** `DELETE /model/{name}/versions/{n}`: one version becomes a tombstone (410 from then on) and its bytes go. */
export const handler = routeHandler(deleteVersion, async ({ actor, params }) => {
  const name = params.name;
  const version = await versionRemoval().deleteVersion(actor, name, params.n);
  return jsonResponse(200, { model: name, ...versionView(version) });
});
