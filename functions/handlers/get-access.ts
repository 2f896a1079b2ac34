import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { getServices } from '../platform/services';
import { accessView } from '../registry/model-views';

export const handler = routeHandler('getAccess', async ({ actor, params }) =>
  jsonResponse(200, accessView(await getServices().registry.getAccess(actor, params.name ?? ''))));
