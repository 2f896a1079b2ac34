import { getAccess } from '../contracts/access-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { accessView } from '../registry/model-views';

export const handler = routeHandler(getAccess, async ({ actor, params }) =>
  jsonResponse(200, accessView(await modelRegistry().getAccess(actor, params.name))));
