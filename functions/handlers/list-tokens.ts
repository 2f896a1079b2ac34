import { listTokens } from '../contracts/token-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { tableServices } from '../platform/table-services';
import { tokenView } from '../tokens/token-service';

export const handler = routeHandler(listTokens, async ({ actor }) =>
  jsonResponse(200, (await tableServices().tokens.list(actor)).map(tokenView)));
