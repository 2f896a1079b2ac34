import type * as z from 'zod/mini';
import type * as datasets from '../functions/contracts/dataset-contracts';
import type * as deployments from '../functions/contracts/deployment-contracts';
import type * as identity from '../functions/contracts/identity-contracts';
import type * as jobs from '../functions/contracts/job-contracts';
import type * as models from '../functions/contracts/model-contracts';
import type { RouteContract } from '../functions/contracts/route-contract';
import type * as service from '../functions/contracts/service-contracts';
import type * as versions from '../functions/contracts/version-contracts';

/**
 * The body a route answers with a given status, as its contract's schema gives it
 * (functions/contracts/): the CLI reads MLHub's answers in the very types the server is held to.
 * Type-only: nothing of zod or the server ends up in the CLI at run time.
 */
export type AnswerOf<C extends RouteContract, S extends keyof C['responses']> =
  C['responses'][S] extends { body: z.ZodMiniType } ? z.output<C['responses'][S]['body']> : never;

export type Health = AnswerOf<typeof service.getStatus, 200>;
type ListAnswer = AnswerOf<typeof models.listModels, 200>;
/** GET /models without search parameters: an array of these. */
export type ModelSummary = Extract<ListAnswer, readonly unknown[]>[number];
/** GET /models with search parameters. */
export type SearchAnswer = Exclude<ListAnswer, readonly unknown[]>;
export type Model = AnswerOf<typeof models.getModel, 200>;
export type DeletedModel = AnswerOf<typeof models.deleteModel, 200>;
export type UploadStatus = AnswerOf<typeof versions.createUpload, 201>;
export type UploadSession = AnswerOf<typeof versions.listUploads, 200>[number];
export type Version = Model['versions'][number];
export type Caller = AnswerOf<typeof identity.getMe, 200>;
export type PublicationAnswer = AnswerOf<typeof versions.publishVersion, 200>;
export type ModelVersion = AnswerOf<typeof versions.getVersion, 200>;
export type Deployment = AnswerOf<typeof deployments.getDeployment, 200>;
export type Dataset = AnswerOf<typeof datasets.getDataset, 200>;
export type DatasetUploadStatus = AnswerOf<typeof datasets.getDatasetUpload, 200>;
export type CreatedDataset = AnswerOf<typeof datasets.createDataset, 201>;
export type Job = AnswerOf<typeof jobs.getJob, 200>;
export type JobResults = AnswerOf<typeof jobs.getJobResults, 200>;
