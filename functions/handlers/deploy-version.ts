import { deployVersion } from '../contracts/deployment-contracts';
import { deploymentView } from '../frameworks/version-deployments';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { versionDeployments } from '../platform/deploy-services';

/**
 * `POST /model/{name}/versions/{n}/deploy` (owner only): 202 when deploying began, 200 with the
 * deployment a version already has (a repeated request creates nothing).
 */
export const handler = routeHandler(deployVersion, async ({ actor, params, body }) => {
  const { name, n } = params;
  const { deployment, created } = await versionDeployments().deploy(actor, name, n, body);
  const view = deploymentView(name, n, deployment);
  if (!created && deployment.state !== 'creating') return jsonResponse(200, view);
  return jsonResponse(202, view, { location: `/model/${encodeURIComponent(name)}/versions/${n}/deploy` });
});
