import { createToken } from '../contracts/token-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { tableServices } from '../platform/table-services';
import { tokenView } from '../tokens/token-service';

export const handler = routeHandler(createToken, async ({ actor, body }) => {
  const { record, token } = await tableServices().tokens.create(actor, body);
  return jsonResponse(201, { ...tokenView(record), token, note: 'Store this token now: MLHub keeps only its hash and cannot show it again.' }, { 'cache-control': 'no-store' });
});
