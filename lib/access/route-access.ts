import type { TABLE_DESIGN } from '../../functions/store/table-design';
import { answeredRoutes } from '../routes/answered-routes';

/**
 * What each route's function may do to MLHub's data, and nothing more. The entries follow the
 * calls each handler makes through functions/registry/dynamo-model-store.ts,
 * functions/tokens/dynamo-token-store.ts and functions/bundles/s3-bundle-store.ts; a change there
 * that needs a new call needs a change here. (Functions run by storage events get theirs from
 * lib/access/event-access.ts, in the same terms.)
 *
 * Every route but the health check may be called with a personal access token, which is looked
 * up by key (GetItem) before anything else happens.
 *
 * A presigned URL acts with the permissions of the role that signed it, checked when it is used:
 * a function that signs upload URLs needs s3:PutObject itself, and one that signs download URLs
 * s3:GetObject. S3 authorizes multipart calls as follows: CreateMultipartUpload, UploadPart and
 * CompleteMultipartUpload as s3:PutObject, ListParts as s3:ListMultipartUploadParts,
 * AbortMultipartUpload as s3:AbortMultipartUpload, HeadObject as s3:GetObject.
 */

export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

export type BundleObjectAction =
  | 's3:GetObject'
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
  /** The SageMaker endpoints configured in modelBackends (nothing, when none are configured). */
  readonly modelEndpoints?: readonly 'sagemaker:InvokeEndpoint'[];
} & {
  /** One index, by name. */
  readonly [index in IndexTarget]?: readonly 'dynamodb:Query'[];
};

export type AccessTarget = keyof RouteAccess;

/**
 * VersionFinalizer (functions/uploads/version-finalizer.ts), wherever it runs: on the bucket's
 * ObjectCreated event and inside completeUpload. It reads the version and its upload session,
 * claims the version, resolves it ready or rejected and commits it as the model's latest (reading
 * the record back when that commit is refused), all single-item reads and updates; it asks whether
 * the object is there (HeadObject, so bundleKeyLookup), streams it once (GetObject), and deletes a
 * rejected one, or one whose model was deleted meanwhile.
 */
export const FINALIZE_ACCESS: RouteAccess = {
  table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  bundleObjects: ['s3:GetObject', 's3:DeleteObject'],
  bundleKeyLookup: ['s3:ListBucket'],
};

/** Both predict routes run the same handler. */
const PREDICT_ACCESS: RouteAccess = {
  table: ['dynamodb:GetItem'],
  bundleObjects: ['s3:GetObject'],
  modelEndpoints: ['sagemaker:InvokeEndpoint'],
};

/**
 * By route id (functions/routes/route-table.ts): what the route's own handler logic calls. A
 * route that also answers as another (`alsoAnswersAs`) gets that route's access as well, through
 * functionAccess below; its entry here need not repeat it.
 */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // Probes both stores: GetItem on a key that never exists, and a listing of no keys at the bundle root. Needs no identity.
  getStatus: { table: ['dynamodb:GetItem'], bundleRootListing: ['s3:ListBucket'] },
  // Own models, public models, and models shared with the caller (grant items, then their records).
  listModels: { table: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], byOwnerIndex: ['dynamodb:Query'], publicModelsIndex: ['dynamodb:Query'] },
  createModel: { table: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
  // Reads the model's whole item collection (record, versions, grants) in one query.
  getModel: { table: ['dynamodb:GetItem', 'dynamodb:Query'] },
  // Checks the caller's grant, updates conditionally, then reads the model back.
  updateModel: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'] },
  // Marks the record, sweeps the model's objects (list + DeleteObjects), then its items.
  deleteModel: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'],
    bundleListing: ['s3:ListBucket'],
    // Open multipart uploads of the model are aborted before its objects are swept.
    bundleObjects: ['s3:DeleteObject', 's3:AbortMultipartUpload'],
  },
  // Allocates a version, records it as pending, stores the bytes, commits; undoes both on failure.
  uploadBundle: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    bundleObjects: ['s3:PutObject', 's3:DeleteObject'],
  },
  // Reads the model, grant and version; a small bundle is read and returned, a larger one answered
  // with a presigned GET URL, which acts with this function's s3:GetObject.
  downloadBundle: { table: ['dynamodb:GetItem'], bundleObjects: ['s3:GetObject'] },
  // Upload sessions (functions/uploads/upload-sessions.ts). Each first loads the model and the
  // caller's grant (GetItem), and all but start read the session item (GetItem).
  // Start: allocates a version (UpdateItem), records it as pending and puts the session (PutItem),
  // deletes the version again if S3 refuses (DeleteItem); starts a multipart upload and signs the
  // single PUT URL or the part URLs (s3:PutObject for all three).
  createUpload: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
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
  // Checks a single PUT arrived (HeadObject) or lists the parts and completes the multipart upload
  // (s3:PutObject), marks the session completed (UpdateItem), then runs the finalizer itself.
  completeUpload: unionOfAccess([
    { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], bundleObjects: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts'], bundleKeyLookup: ['s3:ListBucket'] },
    FINALIZE_ACCESS,
  ]),
  // Marks the session aborted (UpdateItem), aborts the multipart upload or deletes the single
  // object, and deletes the pending version (DeleteItem).
  abortUpload: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    bundleObjects: ['s3:AbortMultipartUpload', 's3:DeleteObject'],
  },
  // The model's record and the caller's grant, then the version (GetItem each); the bundle is
  // streamed from S3 to unpack an ONNX model into /tmp; SageMaker-served models are invoked.
  predictModel: PREDICT_ACCESS,
  predictModelWithGet: PREDICT_ACCESS,
  getAccess: { table: ['dynamodb:GetItem', 'dynamodb:Query'] },
  // Grant items are put and deleted one by one; visibility is an update of the record.
  putAccess: { table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'] },
  createToken: { table: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
  // A user's tokens are listed from their own partition of the owner index.
  listTokens: { table: ['dynamodb:GetItem'], byOwnerIndex: ['dynamodb:Query'] },
  deleteToken: { table: ['dynamodb:GetItem', 'dynamodb:DeleteItem'] },
};

/** The fallback only shapes 404 and 405 answers. */
export const FALLBACK_ACCESS: RouteAccess = {};

export function routeAccess(routeId: string): RouteAccess {
  const access = ROUTE_ACCESS[routeId];
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

/**
 * What a route's function may do: its route's access, and that of every route it also answers
 * as (functions/routes/route-table.ts `alsoAnswersAs`), since its handler does their work too.
 */
export function functionAccess(routeId: string): RouteAccess {
  return unionOfAccess(answeredRoutes(routeId).map((route) => routeAccess(route.id)));
}
