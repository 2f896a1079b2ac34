import type { RouteId } from '../routes/route-table';
import * as access from './access-contracts';
import * as datasets from './dataset-contracts';
import * as deployments from './deployment-contracts';
import * as identity from './identity-contracts';
import * as jobs from './job-contracts';
import * as models from './model-contracts';
import * as predictions from './prediction-contracts';
import type { RouteContract } from './route-contract';
import * as service from './service-contracts';
import * as tokens from './token-contracts';
import * as versions from './version-contracts';

/**
 * Every route's contract, by route id: a route without one fails to compile. For the OpenAPI
 * document and the tests; a handler imports only its own contract, from its area's module.
 */
export const ROUTE_CONTRACTS: { readonly [id in RouteId]: RouteContract & { readonly route: id } } = {
  getStatus: service.getStatus,
  getOpenApi: service.getOpenApi,
  listModels: models.listModels,
  createModel: models.createModel,
  getModel: models.getModel,
  updateModel: models.updateModel,
  deleteModel: models.deleteModel,
  uploadBundle: versions.uploadBundle,
  downloadBundle: versions.downloadBundle,
  createUpload: versions.createUpload,
  listUploads: versions.listUploads,
  getUpload: versions.getUpload,
  completeUpload: versions.completeUpload,
  abortUpload: versions.abortUpload,
  getVersion: versions.getVersion,
  citeModel: models.citeModel,
  publishVersion: versions.publishVersion,
  deployVersion: deployments.deployVersion,
  getDeployment: deployments.getDeployment,
  undeployVersion: deployments.undeployVersion,
  deleteVersion: versions.deleteVersion,
  predictModel: predictions.predictModel,
  predictModelWithGet: predictions.predictModelWithGet,
  getAccess: access.getAccess,
  putAccess: access.putAccess,
  createToken: tokens.createToken,
  listTokens: tokens.listTokens,
  deleteToken: tokens.deleteToken,
  getMe: identity.getMe,
  createDataset: datasets.createDataset,
  listDatasets: datasets.listDatasets,
  getDataset: datasets.getDataset,
  deleteDataset: datasets.deleteDataset,
  getDatasetUpload: datasets.getDatasetUpload,
  completeDatasetUpload: datasets.completeDatasetUpload,
  abortDatasetUpload: datasets.abortDatasetUpload,
  createJob: jobs.createJob,
  listJobs: jobs.listJobs,
  getJob: jobs.getJob,
  getJobResults: jobs.getJobResults,
  cancelJob: jobs.cancelJob,
};

/** A route's contract by a route id held as a string (RouteSpec.id); throws for an id with none. */
export function contractOf(routeId: string): RouteContract {
  const found = (ROUTE_CONTRACTS as Readonly<Record<string, RouteContract | undefined>>)[routeId];
  if (!found) throw new Error(`Route '${routeId}' has no contract in functions/contracts/route-contracts.ts`);
  return found;
}
