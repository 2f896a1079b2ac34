import * as z from 'zod/mini';
import { DEPLOYABLE_FRAMEWORKS } from '../frameworks/serving-path';
import { DEPLOYMENT_STATES } from '../frameworks/deployment-records';
import { MAX_VERSION_NUMBER } from '../versions/version-records';
import { ERROR_GROUPS as G } from './error-groups';
import { modelNameParam, wholeNumberText } from './parameters';
import { contract } from './route-contract';
import { component } from './views';

const versionParams = z.object({ name: modelNameParam, n: wholeNumberText(MAX_VERSION_NUMBER, 'The version number') });
const timestamp = z.string().register(z.globalRegistry, { description: 'RFC 3339 date-time, UTC', format: 'date-time' });

/** What `POST …/deploy` takes: the serverless endpoint's size, each within the deployment's limits. */
export const deployRequest = z.strictObject({
  memory_mb: z.optional(z.number({ error: 'must be a number of megabytes' }).check(z.int({ error: 'must be a whole number of megabytes' }))),
  max_concurrency: z.optional(z.number({ error: 'must be a number' }).check(z.int({ error: 'must be a whole number' }), z.minimum(1, 'must be at least 1'))),
}).register(z.globalRegistry, {
  id: 'DeployRequest',
  description: "The serverless endpoint's memory (MemorySizeInMB: 1024, 2048, 3072, 4096, 5120 or 6144, up to the deployment's MLHUB_DEPLOY_MAX_MEMORY_MB; default 3072) and concurrent invocations (MaxConcurrency, 1 up to MLHUB_DEPLOY_MAX_CONCURRENCY; default 2). The body may be left out",
});

export const deployment = component(z.strictObject({
  model: z.string(),
  version: z.int(),
  state: z.enum(DEPLOYMENT_STATES as [string, ...string[]]).register(z.globalRegistry, {
    description: "creating while SageMaker builds the endpoint, in_service once predictions run on it, failed (with SageMaker's `reason`), or deleting",
  }),
  endpoint: z.string().register(z.globalRegistry, { description: "The SageMaker endpoint's name (also its model's and endpoint configuration's), fixed per version" }),
  framework: z.enum(DEPLOYABLE_FRAMEWORKS),
  image: z.string().register(z.globalRegistry, { description: "The serving image: AWS's prebuilt inference container for the framework in this region" }),
  memory_mb: z.int(),
  max_concurrency: z.int(),
  requested: timestamp,
  requested_by: z.string(),
  updated: timestamp,
  reason: z.nullable(z.string()).register(z.globalRegistry, { description: "SageMaker's FailureReason when failed; null otherwise" }),
}), 'Deployment', "A version's SageMaker serverless endpoint and its state");

const deployErrors = [...G.everyRoute, ...G.readsIdentity, ...G.namedModel, 'invalid_version', 'version_not_found', 'version_gone', 'version_withdrawn'] as const;
const ownerErrors = [...deployErrors, ...G.signedIn, ...G.writeScope, 'forbidden', 'deploy_failed'] as const;

export const deployVersion = contract({
  route: 'deployVersion',
  params: versionParams,
  body: deployRequest,
  optionalBody: true,
  responses: {
    200: { description: 'The version was deployed already: its deployment as it stands (asking again creates nothing)', body: deployment },
    202: { description: 'Deploying began: SageMaker is creating the endpoint; GET …/deploy until it is in_service', body: deployment, headers: { location: 'The deployment, to poll' } },
  },
  errors: [...ownerErrors, ...G.jsonBody, 'version_not_ready', 'not_deployable', 'deployment_exists', 'model_deployment_limit', 'user_deployment_limit', 'deployment_failed', 'deployment_deleting', 'deploy_not_configured'],
});

export const getDeployment = contract({
  route: 'getDeployment',
  params: versionParams,
  responses: { 200: { description: "The deployment; while creating or deleting, as SageMaker's DescribeEndpoint says now", body: deployment } },
  errors: [...deployErrors, 'not_deployed', 'deploy_failed'],
});

export const undeployVersion = contract({
  route: 'undeployVersion',
  params: versionParams,
  responses: { 202: { description: "The endpoint, its configuration and its model are being deleted; GET …/deploy answers 404 once they are gone", body: deployment, headers: { location: 'The deployment, to poll' } } },
  errors: [...ownerErrors, 'not_deployed'],
});
