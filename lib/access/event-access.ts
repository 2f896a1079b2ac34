import { FINALIZE_ACCESS, routeAccess, unionOfAccess, type RouteAccess } from './route-access';

/**
 * What each function run by a storage event may do to MLHub's data, by subscription id
 * (EVENT_SUBSCRIPTIONS in functions/routes/route-table.ts), in the terms of ROUTE_ACCESS. These
 * functions authenticate no one: they look up no token.
 */
export const EVENT_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // VersionFinalizer.finalizeKey, for each object stored under a bundle key: reads the version the
  // key names (GetItem); deletes bytes that belong to no version (a URL of an aborted upload, or of
  // a deleted model's); retires the key of a version that already ended (HeadObject, then PutObject
  // of the empty marker); checks a pending one as completeUpload does.
  finalizeUpload: unionOfAccess([{ bundleObjects: ['s3:DeleteObject'] }, FINALIZE_ACCESS]),
};

/**
 * What each function run on a schedule may do, by schedule id (SCHEDULES in
 * functions/routes/route-table.ts), in the same terms. These functions authenticate no one either.
 */
export const SCHEDULE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // PendingSweep (functions/versions/pending-sweep.ts): lists pending versions, soonest expiry
  // first, from the PENDING partition of the owner index (Query). An expired one moves to aborted
  // (a conditional UpdateItem), its session is read and marked aborted (GetItem, UpdateItem), its
  // multipart upload aborted and its key retired (PutObject); any other is handed to the finalizer.
  sweepVersions: unionOfAccess([
    { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], byOwnerIndex: ['dynamodb:Query'], bundleObjects: ['s3:AbortMultipartUpload', 's3:PutObject'] },
    FINALIZE_ACCESS,
    // It also finishes model deletes whose caller died: the same calls deleteModel makes after its access check.
    routeAccess('deleteModel'),
  ]),
};

export function eventAccess(subscriptionId: string): RouteAccess {
  const access = EVENT_ACCESS[subscriptionId];
  if (!access) throw new Error(`Event subscription '${subscriptionId}' has no entry in EVENT_ACCESS (lib/access/event-access.ts): say what data it may touch`);
  return access;
}

export function scheduleAccess(scheduleId: string): RouteAccess {
  const access = SCHEDULE_ACCESS[scheduleId];
  if (!access) throw new Error(`Schedule '${scheduleId}' has no entry in SCHEDULE_ACCESS (lib/access/event-access.ts): say what data it may touch`);
  return access;
}
