import { deleteToken } from '../contracts/token-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { tableServices } from '../platform/table-services';

export const handler = routeHandler(deleteToken, async ({ actor, params }) => {
  const id = params.id;
  await tableServices().tokens.revoke(actor, id);
  return jsonResponse(200, { id, revoked: true });
});
