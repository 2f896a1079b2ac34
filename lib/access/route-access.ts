import type { TABLE_DESIGN } from '../../functions/store/table-design';
import type { RouteId } from '../../functions/routes/route-table';

/**
 * What each route's function may do to MLHub's data, and nothing more. The entries follow the
 * calls each handler makes through functions/registry/dynamo-model-store.ts,
 * functions/versions/dynamo-version-store.ts, functions/versions/dynamo-upload-session-store.ts,
 * functions/tokens/dynamo-token-store.ts and functions/bundles/s3-bundle-store.ts; a change there
 * that needs a new call needs a change here. test/infra/traced-access.test.ts records those calls
 * and holds each entry to them. (Functions run by storage events or on a schedule get theirs from
 * lib/access/event-access.ts, in the same terms.)
 *
 * Every route but the health check may be called with a personal access token, which is looked
 * up by key (GetItem) before anything else happens; and every signed-in caller's user is looked
 * up in the offboarding marks (GetItem: functions/offboarding/offboarded-users.ts).
 *
 * A presigned URL acts with the permissions of the role that signed it, checked when it is used:
 * a function that signs upload URLs needs s3:PutObject itself, and one that signs download URLs
 * s3:GetObject (s3:GetObjectVersion when the URL names a version). S3 authorizes multipart calls
 * as follows: CreateMultipartUpload, UploadPart and CompleteMultipartUpload as s3:PutObject,
 * ListParts as s3:ListMultipartUploadParts, AbortMultipartUpload as s3:AbortMultipartUpload,
 * HeadObject as s3:GetObject. Conditional writes (If-None-Match) and reads (If-Match) need nothing
 * more than the plain call. A read that names a VersionId is s3:GetObjectVersion instead of
 * s3:GetObject: the bundle bucket keeps versions (lib/storage/mlhub-storage.ts), so every object a
 * check pinned (functions/versions/version-records.ts ObjectPin) is read back by its version id.
 */

export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:Scan'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

export type BundleObjectAction =
  | 's3:GetObject'
  | 's3:GetObjectVersion'
  | 's3:PutObject'
  | 's3:DeleteObject'
  | 's3:ListMultipartUploadParts'
  | 's3:AbortMultipartUpload';

/** A global secondary index of the table design, as an access target: `byOwnerIndex`, `publicModelsIndex`. */
export type IndexTarget = `${keyof typeof TABLE_DESIGN.indexes}Index`;

export type RouteAccess = {
  /** Items of the table itself. */
  readonly table?: readonly TableAction[];
  /** Listing at the bundle root itself (a request whose prefix is exactly BUNDLE_ROOT), as the status probe does. */
  readonly bundleRootListing?: readonly 's3:ListBucket'[];
  /** Listing keys, only under one model's prefix. */
  readonly bundleListing?: readonly 's3:ListBucket'[];
  /**
   * Listing on the bucket with no prefix condition, for functions that ask whether a bundle object
   * exists yet (HeadObject): S3 answers 404 for a missing key only to a caller allowed to list the
   * bucket, and 403 otherwise, which the bundle store cannot tell from a real refusal. S3 does not
   * document that a grant limited by s3:prefix counts for that check (a HEAD carries no prefix), so
   * this one has no condition. The bucket holds bundle objects only (access logs go to their own
   * bucket), so it reveals no key outside the bundle root; objects stay readable only through
   * bundleObjects.
   */
  readonly bundleKeyLookup?: readonly 's3:ListBucket'[];
  /** Bundle objects, only under the bundle prefix. */
  readonly bundleObjects?: readonly BundleObjectAction[];
  /** Dataset objects, only under the dataset root `datasets/` (functions/datasets/dataset-keys.ts). */
  readonly datasetObjects?: readonly BundleObjectAction[];
  /** Listing keys, only under the dataset root (a dataset's delete sweeps its prefix). */
  readonly datasetListing?: readonly 's3:ListBucket'[];
  /** A batch job's objects, only under the job root `jobs/` (manifest, plan, parts, results: functions/jobs/). */
  readonly jobObjects?: readonly BundleObjectAction[];
  /** Listing keys, only under the job root (the assembler lists a job's parts; the finalizer removes them). */
  readonly jobListing?: readonly 's3:ListBucket'[];
  /** The search index's snapshots and their pointer, only under `search/` in the bundle bucket (functions/search/search-snapshots.ts). */
  readonly searchObjects?: readonly ('s3:GetObject' | 's3:PutObject' | 's3:DeleteObject')[];
  /** The SageMaker endpoints configured in modelBackends (nothing, when none are configured). */
  readonly modelEndpoints?: readonly 'sagemaker:InvokeEndpoint'[];
  /**
   * A model's usage counters only (functions/usage/): UpdateItem of the table that may write no
   * attribute but the keys, `kind` and the two counters, so a function that serves reads and
   * counts them cannot change a record.
   */
  readonly usageCounters?: readonly 'dynamodb:UpdateItem'[];
  /** Rate counter items only (lib/access/rate-limit-access.ts): the table, for keys in the counters' partitions. */
  readonly rateLimitCounters?: readonly 'dynamodb:UpdateItem'[];
  /** The stack's own user pool (lib/access/user-status-access.ts); nothing with an external issuer. */
  readonly userPool?: readonly 'cognito-idp:AdminGetUser'[];
} & {
  /** One index, by name. */
  readonly [index in IndexTarget]?: readonly 'dynamodb:Query'[];
};

export type AccessTarget = keyof RouteAccess;

/**
 * VersionFinalizer.finalize (functions/versions/version-finalizer.ts), wherever it runs: inside
 * uploadBundle and completeUpload, on the bucket's ObjectCreated event and in the pending sweep.
 * It reads the version, its upload session, the model and the uploader's grant, claims the
 * version, resolves it ready or rejected and commits it as the model's latest (reading the record
 * back when that commit is refused), all single-item reads and conditional updates. It asks
 * whether the object is there and which one it is (HeadObject, so bundleKeyLookup), streams it
 * once pinned to that object (by version id: s3:GetObjectVersion), and retires the key of a
 * rejected bundle, or of one whose model was deleted meanwhile (an empty object put over it:
 * s3:PutObject).
 */
export const FINALIZE_ACCESS: RouteAccess = {
  table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  bundleObjects: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
  bundleKeyLookup: ['s3:ListBucket'],
};

/**
 * DatasetFinalizer.finalize (functions/datasets/dataset-finalizer.ts), wherever it runs: inside
 * completeDatasetUpload, on the bucket's ObjectCreated event and in the pending sweep. It reads
 * the dataset (GetItem), claims it and resolves it ready or rejected (conditional UpdateItem),
 * dropping its pending mark (DeleteItem). It asks whether the object is there (HeadObject, so
 * bundleKeyLookup), reads its first bytes and streams it once pinned (by version id:
 * s3:GetObjectVersion; s3:GetObject where the bucket gives none), writes the plain copy (a
 * multipart upload, aborted if the inspection fails) and the layout (PutObject), removes them
 * when the check ends otherwise (DeleteObject), and retires the data key of a rejected dataset.
 */
export const DATASET_FINALIZE_ACCESS: RouteAccess = {
  table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  datasetObjects: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
  bundleKeyLookup: ['s3:ListBucket'],
};

/**
 * The job steps (functions/jobs/job-steps.ts), one role each in the cloud. All read the job
 * (GetItem) and the job's objects (plan, manifest, parts: GetObject) and write them (PutObject);
 * planJob reads the dataset (GetItem) and its layout and bytes (GetObject, HeadObject: so
 * bundleKeyLookup), and starts the job (UpdateItem); runJobChunk reads the dataset's bytes by
 * range (GetObject, GetObjectVersion for a pinned one), runs the model as predict does (the
 * bundle, SageMaker), and counts its chunk (PutItem, conditional UpdateItem); finalizeJob reads
 * the chunk items (Query), lists and copies the parts (ListBucket under jobs/, multipart upload
 * with UploadPartCopy: GetObject and PutObject), ends the job (UpdateItem, DeleteItem of its
 * mark) and removes its parts (DeleteObject).
 */
export const JOB_STEP_ACCESS: RouteAccess = {
  table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
  jobObjects: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
  jobListing: ['s3:ListBucket'],
  datasetObjects: ['s3:GetObject', 's3:GetObjectVersion'],
  bundleObjects: ['s3:GetObject'],
  bundleKeyLookup: ['s3:ListBucket'],
  modelEndpoints: ['sagemaker:InvokeEndpoint'],
};

/**
 * Both predict routes run the same handler. It reads the model's record, the caller's grant and
 * the version (GetItem each), streams the bundle from S3 by key to unpack an ONNX model into /tmp,
 * and invokes SageMaker for models served there.
 */
const PREDICT_ACCESS: RouteAccess = {
  // GetItem: the model, grant and version; its usage counter, one per prediction. UpdateItem: a
  // deployment being created or deleted, settled (functions/frameworks/deployment-settling.ts).
  // Query: the model's versions, for the latest one in service (functions/frameworks/predicted-versions.ts).
  table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
  usageCounters: ['dynamodb:UpdateItem'],
  bundleObjects: ['s3:GetObject'],
  modelEndpoints: ['sagemaker:InvokeEndpoint'],
};

/**
 * What a search function's index loader (functions/search/search-index-loader.ts) does: reads the
 * pointer and the snapshot (GetObject under search/), queries the change log (Query), and, with
 * no usable snapshot, rebuilds from the table (GetItem of the log's head, then a parallel Scan).
 */
/**
 * What recording a model in the search change log takes (functions/search/search-change-log.ts,
 * recordSearchChange): a number from the log's head (UpdateItem ADD), the model's items (Query),
 * and the entry (PutItem). Every registry write of a model's record does it before answering.
 */
const SEARCH_LOG_ACCESS: RouteAccess = { table: ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PutItem'] };

export const SEARCH_INDEX_ACCESS: RouteAccess = {
  table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
  searchObjects: ['s3:GetObject'],
};

/**
 * By route id (functions/routes/route-table.ts): what the route's handler logic calls. (Besides
 * its data, createModel's function may invoke the predict function: lib/functions/route-functions.ts.)
 */
export const ROUTE_ACCESS: Readonly<Record<RouteId, RouteAccess>> = {
  // Probes both stores: GetItem on a key that never exists, and a listing of no keys at the bundle root. Needs no identity.
  getStatus: { table: ['dynamodb:GetItem'], bundleRootListing: ['s3:ListBucket'] },
  // Serves the document it was built with; touches no data.
  getOpenApi: {},
  // Own models, public models, and models shared with the caller (grant items, then their records);
  // a search (`q` or a filter) answers from the search index, which it loads and keeps current.
  listModels: unionOfAccess([
    { table: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], byOwnerIndex: ['dynamodb:Query'], publicModelsIndex: ['dynamodb:Query'] },
    SEARCH_INDEX_ACCESS,
  ]),
  // Puts the record if the name was never used; else reads what holds it, and takes over a
  // deleted model's tombstone with a conditional put that keeps its version counter.
  // Puts the record, then records it in the search change log.
  createModel: unionOfAccess([{ table: ['dynamodb:GetItem', 'dynamodb:PutItem'] }, SEARCH_LOG_ACCESS]),
  // Reads the model's whole item collection (record, versions, grants) in one query.
  getModel: { table: ['dynamodb:GetItem', 'dynamodb:Query'] },
  // Checks the caller's grant, updates conditionally, then reads the model back; and records it in the search change log.
  updateModel: unionOfAccess([{ table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'] }, SEARCH_LOG_ACCESS]),
  // ModelRemoval (functions/registry/model-removal.ts): marks the record (UpdateItem), ends every
  // live version (a query of the partition, a conditional UpdateItem each), aborts the open
  // multipart uploads, sweeps the model's objects (list + DeleteObjects), retires the keys of the
  // versions an upload URL may still reach (PutObject of the empty marker), then deletes its
  // grants, sessions and usage counters (a keys-only query, BatchWriteItem) and puts the tombstone record
  // (PutItem); a model with DOIs has its versions with DOIs withdrawn and its record turned
  // withdrawn instead (UpdateItem each). The mark and the end are each recorded in the search
  // change log (UpdateItem, Query, PutItem: as putAccess).
  deleteModel: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
    bundleListing: ['s3:ListBucket'],
    bundleObjects: ['s3:DeleteObject', 's3:AbortMultipartUpload', 's3:PutObject'],
  },
  // DirectUpload (functions/versions/direct-upload.ts): allocates a version (UpdateItem), records
  // it as pending (PutItem), stores the bytes at a new key (PutObject, If-None-Match), then runs
  // the finalizer; if S3 refuses the bytes, aborts the version (UpdateItem) and retires the key
  // (PutObject).
  uploadBundle: unionOfAccess([
    { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'], bundleObjects: ['s3:PutObject'] },
    FINALIZE_ACCESS,
  ]),
  // Reads the model, grant and version; a small bundle is read and returned, a larger one answered
  // with a presigned GET URL, which acts with this function's permission. Both name the version id
  // the check pinned, so both are s3:GetObjectVersion, and plain s3:GetObject is never used.
  // Each download served adds one to the model's usage counter (UpdateItem ADD: functions/usage/).
  downloadBundle: { table: ['dynamodb:GetItem'], usageCounters: ['dynamodb:UpdateItem'], bundleObjects: ['s3:GetObjectVersion'] },
  // Upload sessions (functions/versions/upload-sessions.ts). Each first loads the model and the
  // caller's grant (GetItem), and all but start read the session item (GetItem).
  // Start: allocates a version (UpdateItem), records it as pending and puts the session (PutItem
  // each), aborts the version if S3 refuses (UpdateItem); starts a multipart upload and signs the
  // single PUT URL (If-None-Match signed in) or the part URLs (s3:PutObject for all three).
  createUpload: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    bundleObjects: ['s3:PutObject'],
  },
  // A model's sessions are items of its partition, read in one query; S3 is not asked.
  listUploads: { table: ['dynamodb:GetItem', 'dynamodb:Query'] },
  // Lists the parts received (ListParts), or asks whether the single PUT has arrived (HeadObject),
  // then signs fresh part URLs (s3:PutObject, as the URLs act with it).
  getUpload: {
    table: ['dynamodb:GetItem'],
    bundleObjects: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts'],
    bundleKeyLookup: ['s3:ListBucket'],
  },
  // Reads the version (GetItem); asks whether the object is there (HeadObject), else lists the
  // parts and completes the multipart upload only if the key holds no object (s3:PutObject,
  // If-None-Match); marks the session completed (UpdateItem), then runs the finalizer itself.
  completeUpload: unionOfAccess([
    { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], bundleObjects: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts'], bundleKeyLookup: ['s3:ListBucket'] },
    FINALIZE_ACCESS,
  ]),
  // Moves the version from pending to aborted (a conditional UpdateItem; GetItem to say why when
  // it is no longer pending), marks the session aborted (UpdateItem), aborts the multipart upload
  // and retires the key (PutObject of an empty marker, so a URL handed out for it is refused).
  abortUpload: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    bundleObjects: ['s3:AbortMultipartUpload', 's3:PutObject'],
  },
  // ReadyVersions.version (functions/versions/ready-versions.ts): the model, the grant and the version, GetItem each.
  getVersion: { table: ['dynamodb:GetItem'] },
  // Reads the model's item collection in one query, as getModel (a withdrawn model's too, to cite
  // a withdrawn version); a version that is not in it is read as getVersion reads one (GetItem).
  citeModel: { table: ['dynamodb:GetItem', 'dynamodb:Query'] },
  // VersionPublishing.request (functions/publishing/version-publishing.ts): reads the model, grant and
  // version (GetItem); starts the publication (a conditional UpdateItem of the version) and makes
  // the model public (UpdateItem of the record), which records it in the search change log (the
  // sequence: UpdateItem; its collection: Query; the entry: PutItem); sends the registration to the
  // DOI queue (granted with the queue, on a stack that publishes: lib/functions/datacite-publishing.ts).
  publishVersion: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PutItem'] },
  // VersionDeployments (functions/frameworks/version-deployments.ts): reads the model, grant and
  // version (GetItem) and moves its deployment (a conditional UpdateItem); takes and gives back the
  // model's and owner's deployment slots (UpdateItem, GetItem: deployment-slots.ts); SageMaker's calls are
  // granted apart, on MLHub's endpoint names alone (lib/functions/deploy-access.ts).
  deployVersion: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  getDeployment: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  undeployVersion: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  // VersionRemoval.deleteVersion (functions/versions/version-removal.ts): reads the model, grant,
  // version and session (GetItem); moves the version to deleted, or withdraws it when it has a DOI
  // (a conditional UpdateItem either way; the hiding of the DOI goes to the DOI queue, granted with
  // it); aborts its multipart upload if it had one and retires its key (PutObject); if it was the
  // latest, finds the newest ready version left (a query of the partition) and moves `latest` to it
  // (UpdateItem).
  deleteVersion: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    bundleObjects: ['s3:AbortMultipartUpload', 's3:PutObject'],
  },
  predictModel: PREDICT_ACCESS,
  predictModelWithGet: PREDICT_ACCESS,
  getAccess: { table: ['dynamodb:GetItem', 'dynamodb:Query'] },
  // Grant items are put and deleted one by one; visibility is an update of the record.
  // Each of these writes then records the model in the search change log (functions/search/search-change-log.ts):
  // the log's sequence taken (UpdateItem), the model's collection read (Query), the entry put (PutItem).
  putAccess: { table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'] },
  createToken: { table: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
  // A user's tokens are listed from their own partition of the owner index.
  listTokens: { table: ['dynamodb:GetItem'], byOwnerIndex: ['dynamodb:Query'] },
  deleteToken: { table: ['dynamodb:GetItem', 'dynamodb:DeleteItem'] },
  // Says what the authentication found; reads nothing but the personal access token, if one is sent.
  getMe: { table: ['dynamodb:GetItem'] },
  // Datasets (functions/datasets/). Create: starts the multipart upload (s3:PutObject, as the URLs
  // it signs act with it), puts the pending mark and the record (PutItem), aborts the multipart
  // upload if the record could not be put.
  createDataset: { table: ['dynamodb:GetItem', 'dynamodb:PutItem'], datasetObjects: ['s3:PutObject', 's3:AbortMultipartUpload'] },
  // The caller's datasets, from their partition of the owner index.
  listDatasets: { table: ['dynamodb:GetItem'], byOwnerIndex: ['dynamodb:Query'] },
  getDataset: { table: ['dynamodb:GetItem'] },
  // Reads the record, deletes it and its pending mark (DeleteItem), aborts an open multipart
  // upload and deletes every object under its prefix (list + DeleteObjects).
  deleteDataset: {
    table: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
    datasetListing: ['s3:ListBucket'],
    datasetObjects: ['s3:DeleteObject', 's3:AbortMultipartUpload'],
  },
  // As getUpload: lists the parts (ListParts) or asks whether the single PUT arrived (HeadObject), signs fresh URLs.
  getDatasetUpload: {
    table: ['dynamodb:GetItem'],
    datasetObjects: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts'],
    bundleKeyLookup: ['s3:ListBucket'],
  },
  // As completeUpload: assembles the parts (s3:PutObject, If-None-Match), marks the upload
  // completed (UpdateItem), then runs the dataset finalizer itself.
  completeDatasetUpload: unionOfAccess([
    { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], datasetObjects: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts'], bundleKeyLookup: ['s3:ListBucket'] },
    DATASET_FINALIZE_ACCESS,
  ]),
  // Moves the dataset to aborted (a conditional UpdateItem, dropping its pending mark: DeleteItem),
  // aborts the multipart upload and retires the data key (PutObject of an empty marker).
  abortDatasetUpload: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    datasetObjects: ['s3:AbortMultipartUpload', 's3:PutObject'],
  },
  // Batch jobs (functions/jobs/). Create: predict's own version lookup (PREDICT_ACCESS's reads:
  // model, grant, version, a deployment settled, the versions queried), the dataset read (GetItem),
  // the job's resume mark and record put (PutItem); the local runner starts it in process (the
  // cloud's StartExecution comes with the state machine).
  createJob: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PutItem'] },
  // The caller's jobs, from their partition of the owner index.
  listJobs: { table: ['dynamodb:GetItem'], byOwnerIndex: ['dynamodb:Query'] },
  getJob: { table: ['dynamodb:GetItem'] },
  // Reads the job, stats the assembled files (HeadObject: s3:GetObject, no listing, as the keys
  // are on the record only once the files are written) and signs GETs of them.
  getJobResults: { table: ['dynamodb:GetItem'], jobObjects: ['s3:GetObject'] },
  // Reads the job, moves it to cancelled (a conditional UpdateItem) and drops its resume mark (DeleteItem).
  cancelJob: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
};

/** The fallback only shapes 404 and 405 answers. */
export const FALLBACK_ACCESS: RouteAccess = {};

export function routeAccess(routeId: string): RouteAccess {
  const access = (ROUTE_ACCESS as Readonly<Record<string, RouteAccess | undefined>>)[routeId];
  if (!access) throw new Error(`Route '${routeId}' has no entry in ROUTE_ACCESS (lib/access/route-access.ts): say what data it may touch`);
  return access;
}

/** Several routes' access as one: per target, every action any of them needs, once. */
export function unionOfAccess(accesses: readonly RouteAccess[]): RouteAccess {
  const union: Partial<Record<AccessTarget, string[]>> = {};
  for (const access of accesses) {
    for (const [target, actions] of Object.entries(access) as [AccessTarget, readonly string[] | undefined][]) {
      for (const action of actions ?? []) {
        const list = (union[target] ??= []);
        if (!list.includes(action)) list.push(action);
      }
    }
  }
  return union as RouteAccess;
}
