/** Reading datasets (issue 15): what the dataset resource and the job worker call. */
export type { ChunkRow, ColumnType, DatasetChunk, DatasetColumn, DatasetCompression, DatasetFormat, DatasetInspection, DatasetLayout, DatasetSchema } from './dataset-types';
export { detectFormat, innerName } from './detect-format';
export { inspectDataset, inspectObject, type InspectOptions } from './inspect-dataset';
export { inspectParquet } from './inspect-parquet';
export { planChunks, type PlanOptions } from './plan-chunks';
export { resolveSelection, type ResolvedSelection } from './column-selection';
export { readChunk, type ReadOptions } from './read-chunk';
export { bufferRangeSource, fileRangeSource, type RangeSource } from './range-source';
export { isRefusal } from './refusal';
