import type { VersionRecord } from '../versions/version-records';
import type { VersionStore } from '../versions/version-store';
import type { Deployment } from './deployment-records';
import type { SageMakerDeployer } from './sagemaker-deployer';

export interface DeploymentSettlingDeps {
  readonly versions: Pick<VersionStore, 'get' | 'moveDeployment' | 'clearDeployment'>;
  readonly deployer: Pick<SageMakerDeployer, 'describe'>;
  readonly now: () => Date;
}

/**
 * A version's deployment as SageMaker has it now. `creating` and `deleting` are SageMaker's to
 * settle (deployment-records.ts), so DescribeEndpoint is asked then, and the version's item moved
 * on with a conditional write: creating → in_service, or failed with SageMaker's FailureReason
 * (or "deleted outside MLHub" when SageMaker has no such endpoint); deleting → cleared once the
 * endpoint is gone. Any other state is returned as recorded, with no call.
 *
 * The one reading of a deployment's state, for GET …/deploy and for predict alike: a caller who
 * deploys and only predicts sees the endpoint in service as soon as SageMaker says so.
 *
 * Returns undefined when the version has no deployment (or it was just cleared).
 * Errors: 502 deploy_failed when DescribeEndpoint fails.
 */
export async function settleDeployment(deps: DeploymentSettlingDeps, version: VersionRecord): Promise<Deployment | undefined> {
  const deployment = version.deployment;
  if (!deployment || (deployment.state !== 'creating' && deployment.state !== 'deleting')) return deployment;
  const described = await deps.deployer.describe(deployment.endpoint);
  if (deployment.state === 'deleting') {
    if (described.state !== 'gone') return deployment;
    await deps.versions.clearDeployment(version.name, version.version, deployment.endpoint);
    return undefined;
  }
  if (described.state === 'creating') return deployment;
  const [state, reason] = described.state === 'failed' ? ['failed', described.reason] as const
    : described.state === 'gone' ? ['failed', `SageMaker has no endpoint named ${deployment.endpoint}: it was deleted outside MLHub`] as const
      : [described.state, undefined] as const;
  await deps.versions.moveDeployment(version.name, version.version, deployment.endpoint, ['creating'], state, deps.now().toISOString(), reason);
  // Another request may have moved it first: the item says where it ended.
  return (await deps.versions.get(version.name, version.version))?.deployment;
}
