import type { TABLE_DESIGN } from '../../functions/store/table-design';
import { answeredRoutes } from '../routes/answered-routes';

/**
 * What each route's function may do to MLHub's data, and nothing more. The entries follow the
 * calls each handler makes through functions/registry/dynamo-model-store.ts,
 * functions/tokens/dynamo-token-store.ts and functions/bundles/s3-bundle-store.ts; a change there
 * that needs a new call needs a change here.
 *
 * Every route but the health check may be called with a personal access token, which is looked
 * up by key (GetItem) before anything else happens.
 */

export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

export type BundleObjectAction = 's3:GetObject' | 's3:PutObject' | 's3:DeleteObject';

/** A global secondary index of the table design, as an access target: `byOwnerIndex`, `publicModelsIndex`. */
export type IndexTarget = `${keyof typeof TABLE_DESIGN.indexes}Index`;

export type RouteAccess = {
  /** Items of the table itself. */
  readonly table?: readonly TableAction[];
  /** Listing at the bundle root itself (a request whose prefix is exactly BUNDLE_ROOT), as the status probe does. */
  readonly bundleRootListing?: readonly 's3:ListBucket'[];
  /** Listing keys, only under one model's prefix. */
  readonly bundleListing?: readonly 's3:ListBucket'[];
  /** Bundle objects, only under the bundle prefix. */
  readonly bundleObjects?: readonly BundleObjectAction[];
  /** The SageMaker endpoints configured in modelBackends (nothing, when none are configured). */
  readonly modelEndpoints?: readonly 'sagemaker:InvokeEndpoint'[];
} & {
  /** One index, by name. */
  readonly [index in IndexTarget]?: readonly 'dynamodb:Query'[];
};

export type AccessTarget = keyof RouteAccess;

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
    bundleObjects: ['s3:DeleteObject'],
  },
  // Allocates a version, records it as pending, stores the bytes, commits; undoes both on failure.
  uploadBundle: {
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    bundleObjects: ['s3:PutObject', 's3:DeleteObject'],
  },
  downloadBundle: { table: ['dynamodb:GetItem'], bundleObjects: ['s3:GetObject'] },
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
