import { loadJobSettings } from '../jobs/job-settings';
import { JobSteps, type JobStepDeps } from '../jobs/job-steps';
import { createS3Client } from './aws-clients';
import { bundleStore } from './bundle-services';
import { datasetStore } from './dataset-services';
import { loadFunctionConfig } from './function-config';
import { jobStore } from './job-store-services';
import { lazy } from './lazy';

/** Everything the job steps use but the model (job-services.ts adds it for the steps that predict). */
export const jobStepStores = lazy((): Omit<JobStepDeps, 'predictorFor'> => {
  const config = loadFunctionConfig();
  return {
    jobs: jobStore(),
    datasets: datasetStore(),
    objects: bundleStore(),
    s3: { client: createS3Client(config), bucket: config.bucketName },
    settings: loadJobSettings(),
    now: () => new Date(),
  };
});

/** The finalizer's steps: assembling and deciding predict nothing, so its bundle has no inference engine (a call to predict is a fault). */
export const jobFinalizerSteps = lazy(() => new JobSteps({
  ...jobStepStores(),
  predictorFor: () => Promise.reject(new Error('The job finalizer runs no model')),
}));
