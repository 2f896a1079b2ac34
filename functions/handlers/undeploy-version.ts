import { undeployVersion } from '../contracts/deployment-contracts';
import { deploymentView } from '../frameworks/version-deployments';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { versionDeployments } from '../platform/deploy-services';

/** `DELETE /model/{name}/versions/{n}/deploy` (owner only): the endpoint is being deleted. */
export const handler = routeHandler(undeployVersion, async ({ actor, params }) => {
  const { name, n } = params;
  const deployment = await versionDeployments().undeploy(actor, name, n);
  return jsonResponse(202, deploymentView(name, n, deployment), { location: `/model/${encodeURIComponent(name)}/versions/${n}/deploy` });
});
