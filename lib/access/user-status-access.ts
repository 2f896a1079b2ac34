import type { RouteSpec } from '../../functions/routes/route-table';
import type { RouteAccess } from './route-access';

/**
 * What a function that authenticates callers asks of the stack's own user pool: whether a
 * personal access token's user still exists and is enabled (AdminGetUser, in
 * functions/identity/cognito-user-status.ts), on that pool's ARN only.
 */
export const USER_STATUS_ACCESS: RouteAccess = { userPool: ['cognito-idp:AdminGetUser'] };

/** Whether a route's function authenticates its callers: any auth but `none` (the health check and the API document). */
export const authenticates = (route: Pick<RouteSpec, 'auth'>): boolean => route.auth !== 'none';

/** USER_STATUS_ACCESS for a route whose function authenticates, nothing for the others. */
export const userStatusAccess = (route: Pick<RouteSpec, 'auth'>): RouteAccess => (authenticates(route) ? USER_STATUS_ACCESS : {});
