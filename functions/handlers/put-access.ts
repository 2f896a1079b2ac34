import { putAccess } from '../contracts/access-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { accessView } from '../registry/model-views';

export const handler = routeHandler(putAccess, async ({ actor, params, body }) =>
  jsonResponse(200, accessView(await modelRegistry().setAccess(actor, params.name, body))));
