import { getMe } from '../contracts/identity-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { callerView } from '../identity/caller-view';

export const handler = routeHandler(getMe, async ({ actor }) => jsonResponse(200, callerView(actor), { 'cache-control': 'no-store' }));
