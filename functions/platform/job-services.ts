import { JobSteps } from '../jobs/job-steps';
import type { JobRecord } from '../jobs/job-records';
import type { Predict } from '../jobs/row-predictions';
import { DynamoVersionStore } from '../versions/dynamo-version-store';
import { loadFunctionConfig } from './function-config';
import { inferenceEngine } from './inference-services';
import { jobStepStores } from './job-step-stores';
import { lazy } from './lazy';
import { tableServices } from './table-services';

const versionStore = lazy(() => new DynamoVersionStore(tableServices().documents, loadFunctionConfig().tableName));

/**
 * The job's model and version as the registry has them now, run through this process's engine.
 * The caller's right to predict was checked when the job was created; the job runs as created.
 */
async function predictorFor(job: JobRecord): Promise<{ predict: Predict; labelled: boolean }> {
  const [model, version] = await Promise.all([tableServices().models.getModelRecord(job.model), versionStore().get(job.model, job.version)]);
  if (!model || !version || version.createdAt < model.createdAt) throw new Error(`Version ${job.version} of model '${job.model}' is gone`);
  const predict: Predict = async (input) => (await inferenceEngine().predict({ model, version, input })).predictions;
  return { predict, labelled: (version.manifest?.labels?.length ?? 0) > 0 };
}

/** The job steps that run the model (planJob, runJobChunk): they bundle the engine and need the ONNX Runtime layer. */
export const jobSteps = lazy(() => new JobSteps({ ...jobStepStores(), predictorFor }));
