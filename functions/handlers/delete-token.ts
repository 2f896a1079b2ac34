import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { getServices } from '../platform/services';

export const handler = routeHandler('deleteToken', async ({ actor, params }) => {
  const id = params.id ?? '';
  await getServices().tokens.revoke(actor, id);
  return jsonResponse(200, { id, revoked: true });
});
