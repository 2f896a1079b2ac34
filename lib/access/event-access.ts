import { FINALIZE_ACCESS, type RouteAccess } from './route-access';

/**
 * What each function run by a storage event may do to MLHub's data, by subscription id
 * (EVENT_SUBSCRIPTIONS in functions/routes/route-table.ts), in the terms of ROUTE_ACCESS. These
 * functions authenticate no one: they look up no token.
 */
export const EVENT_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // The finalizer, for each bundle a presigned upload stored: the same calls completeUpload makes through it.
  finalizeUpload: FINALIZE_ACCESS,
};

export function eventAccess(subscriptionId: string): RouteAccess {
  const access = EVENT_ACCESS[subscriptionId];
  if (!access) throw new Error(`Event subscription '${subscriptionId}' has no entry in EVENT_ACCESS (lib/access/event-access.ts): say what data it may touch`);
  return access;
}
