import { MAX_DEPTH } from '../../inference/predict-input';
import type { DatasetSchema } from './dataset-types';
import { rejectDataset } from './refusal';

/**
 * Bytes the schema may take on the dataset record, as JSON. A DynamoDB item holds at most 400 KB
 * (DynamoDB Developer Guide, "Service, account, and table quotas": item size); the rest of the
 * record (upload, names, reason) needs well under the remainder.
 */
export const MAX_SCHEMA_BYTES = 128 * 1024;

/** An array dataset's shape: the row count, then at most predict's MAX_DEPTH dimensions per row. */
export const MAX_ARRAY_DIMENSIONS = 1 + MAX_DEPTH;

/**
 * Refuses (dataset_rejected) a schema the dataset record cannot hold or no job could use, whatever
 * the format found it in: rows nested deeper than a prediction input may be (predict-input.ts,
 * MAX_DEPTH), or column names so long that the listed columns pass MAX_SCHEMA_BYTES. Without it,
 * writing the record failed on every try and left the dataset pending for ever.
 */
export function checkSchemaBounds(schema: DatasetSchema): void {
  if (schema.kind === 'array' && schema.shape.length > MAX_ARRAY_DIMENSIONS) {
    throw rejectDataset(`Each row is an array of ${schema.shape.length - 1} dimensions; MLHub predicts on rows of at most ${MAX_DEPTH} (nested at most ${MAX_DEPTH} levels deep)`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes <= MAX_SCHEMA_BYTES) return;
  const longest = schema.kind === 'columns'
    ? schema.columns.reduce((best, column, index) => (column.name.length > best.length ? { index, length: column.name.length } : best), { index: 0, length: 0 })
    : undefined;
  throw rejectDataset(`The dataset's columns take ${bytes} bytes to record, over MLHub's ${MAX_SCHEMA_BYTES}` +
    (longest ? `: shorten the column names (column ${longest.index} has ${longest.length} characters)` : ''));
}
