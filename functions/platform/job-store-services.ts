import { DynamoJobStore } from '../jobs/dynamo-job-store';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/** Jobs live in the models' table (functions/jobs/): the job routes use this alone, and bundle no job step or inference engine. */
export const jobStore = lazy(() => new DynamoJobStore(tableServices().documents, loadFunctionConfig().tableName));
