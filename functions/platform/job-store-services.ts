import { DynamoJobStore } from '../jobs/dynamo-job-store';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/** Jobs live in the models' table (functions/jobs/). Apart from the job steps (job-services.ts), so the job routes bundle no inference engine. */
export const jobStore = lazy(() => new DynamoJobStore(tableServices().documents, loadFunctionConfig().tableName));
