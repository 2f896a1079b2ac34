import type { RouteSpec } from '../../functions/routes/route-table';
import type { RouteAccess } from './route-access';

/**
 * What a function that authenticates callers asks of the stack's own user pool: whether a
 * personal access token's user still exists and is enabled (AdminGetUser, in
 * functions/identity/cognito-user-status.ts), on that pool's ARN only.
 */
export const USER_STATUS_ACCESS: RouteAccess = { userPool: ['cognito-idp:AdminGetUser'] };

/** USER_STATUS_ACCESS for a route whose function authenticates (any auth but `none`), nothing for the others. */
export const userStatusAccess = (route: Pick<RouteSpec, 'auth'>): RouteAccess => (route.auth === 'none' ? {} : USER_STATUS_ACCESS);
