import { DynamoUsageCounters } from '../usage/dynamo-usage-counters';
import { UsageRecorder } from '../usage/usage-recorder';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/** The usage counters of the download and predict routes, on the table's one document client. */
export const usageRecorder = lazy(() => new UsageRecorder(new DynamoUsageCounters(tableServices().documents, loadFunctionConfig().tableName)));
