import { getDeployment } from '../contracts/deployment-contracts';
import { deploymentView } from '../frameworks/version-deployments';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { versionDeployments } from '../platform/deploy-services';

/** `GET /model/{name}/versions/{n}/deploy`: the deployment's state, settled with SageMaker while it changes. */
export const handler = routeHandler(getDeployment, async ({ actor, params }) => {
  const { name, n } = params;
  const deployment = await versionDeployments().status(actor, name, n);
  return jsonResponse(200, deploymentView(name, n, deployment), { 'cache-control': 'no-store' });
});
