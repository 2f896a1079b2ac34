import type { CatalogueFunctionId } from '../../functions/catalogue/function-catalogue';
import { DATASET_FINALIZE_ACCESS, FINALIZE_ACCESS, JOB_STEP_ACCESS, routeAccess, unionOfAccess, type RouteAccess } from './route-access';

/**
 * What each function of the function catalogue (functions/catalogue/function-catalogue.ts) may
 * do to MLHub's data, by function id, in the terms of ROUTE_ACCESS: one entry per function, or
 * this fails to compile. These functions authenticate no one: they look up no token. What their
 * trigger needs (reading the table's stream, consuming their queue, sending to their failed-event
 * queue) is granted with the trigger (lib/functions/catalogue-functions.ts), not here.
 */
export const CATALOGUE_ACCESS: Readonly<Record<CatalogueFunctionId, RouteAccess>> = {
  // VersionFinalizer.finalizeKey, for each object stored under a bundle key: reads the version the
  // key names (GetItem); deletes bytes that belong to no version (a URL of an aborted upload, or of
  // a deleted model's); retires the key of a version that already ended (HeadObject, then PutObject
  // of the empty marker); checks a pending one as completeUpload does.
  finalizeUpload: unionOfAccess([{ bundleObjects: ['s3:DeleteObject'] }, FINALIZE_ACCESS]),
  // DatasetFinalizer.finalizeKey, for each object stored under a dataset's data key: reads the
  // dataset (GetItem); deletes bytes that belong to no dataset (a URL alive after its delete);
  // retires the key of one that already ended; inspects a pending one as completeDatasetUpload does.
  finalizeDataset: DATASET_FINALIZE_ACCESS,
  // PendingSweep (functions/versions/pending-sweep.ts): lists pending versions, soonest expiry
  // first, from the PENDING partition of the owner index (Query). An expired one moves to aborted
  // (a conditional UpdateItem), its session is read and marked aborted (GetItem, UpdateItem), its
  // multipart upload aborted and its key retired (PutObject); any other is handed to the finalizer.
  sweepVersions: unionOfAccess([
    { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], byOwnerIndex: ['dynamodb:Query'], bundleObjects: ['s3:AbortMultipartUpload', 's3:PutObject'] },
    FINALIZE_ACCESS,
    // It also finishes model deletes whose caller died: the same calls deleteModel makes after its access check.
    routeAccess('deleteModel'),
    // Pending datasets: their marks from the PENDING_DATASETS partition of the owner index (Query),
    // each dataset read (GetItem); an expired one aborted as abortDatasetUpload does, a stale mark
    // dropped (DeleteItem); any other handed to the dataset finalizer.
    routeAccess('abortDatasetUpload'),
    DATASET_FINALIZE_ACCESS,
  ]),
  // VersionPublishing.register (functions/publishing/version-publishing.ts): reads the version and
  // the model's versions (GetItem, a query of the partition), settles the publication (a
  // conditional UpdateItem). Nothing more: a deployed stack registers with DataCite (its password
  // read from its secret, granted with the secret: lib/functions/datacite-publishing.ts); only the
  // local DOI provider of npm start keeps DOI items in the table (PutItem, DeleteItem), and it never
  // runs in the cloud (the stack sets MLHUB_DOI_PROVIDER=datacite).
  registerDois: { table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] },
  // SearchIndexer (functions/search/search-indexer.ts): for each model a batch touched, takes a log
  // sequence (UpdateItem), reads the collection (Query) and puts the entry (PutItem); catches up
  // from the log (Query); with no usable snapshot, rebuilds from the table (GetItem of the head,
  // Scan); writes snapshots and the pointer (PutObject), reads them at start (GetObject), deletes
  // old snapshots (DeleteObject) and trims the log entries they covered (UpdateItem of the head,
  // Query of the keys, BatchWriteItem).
  indexModels: {
    table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
    searchObjects: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
  },
  // The job steps (functions/jobs/job-steps.ts): see JOB_STEP_ACCESS. One grant for the three, as
  // they share the job's items and objects; the job state machine invokes them (lib/jobs/job-state-machine.ts), under its own role.
  planJob: JOB_STEP_ACCESS,
  runJobChunk: JOB_STEP_ACCESS,
  finalizeJob: JOB_STEP_ACCESS,
};

/** A catalogue function's data access; throws for an id CATALOGUE_ACCESS does not hold (a function outside the catalogue). */
export function catalogueAccess(functionId: string): RouteAccess {
  const access = (CATALOGUE_ACCESS as Readonly<Record<string, RouteAccess | undefined>>)[functionId];
  if (!access) throw new Error(`Function '${functionId}' has no entry in CATALOGUE_ACCESS (lib/access/event-access.ts): say what data it may touch`);
  return access;
}
