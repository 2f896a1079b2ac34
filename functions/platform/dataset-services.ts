import { DatasetFinalizer } from '../datasets/dataset-finalizer';
import { DatasetUploads } from '../datasets/dataset-uploads';
import { DynamoDatasetStore } from '../datasets/dynamo-dataset-store';
import { bundleStore } from './bundle-services';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/** Datasets live in the models' table and bucket (functions/datasets/). */
export const datasetStore = lazy(() => new DynamoDatasetStore(tableServices().documents, loadFunctionConfig().tableName));

export const datasetFinalizer = lazy(() => new DatasetFinalizer({ datasets: datasetStore(), objects: bundleStore(), maxPlainBytes: loadFunctionConfig().bundleLimits.maxUnpackedBytes }));

export const datasetUploads = lazy(() => new DatasetUploads({
  datasets: datasetStore(),
  objects: bundleStore(),
  finalizer: datasetFinalizer(),
  limits: loadFunctionConfig().uploads,
}));
