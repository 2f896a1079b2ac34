import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { getServices } from '../platform/services';
import { tokenView } from '../tokens/token-service';

export const handler = routeHandler('listTokens', async ({ actor }) =>
  jsonResponse(200, (await getServices().tokens.list(actor)).map(tokenView)));
