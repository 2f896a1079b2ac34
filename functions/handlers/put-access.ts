import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { getServices } from '../platform/services';
import { accessView } from '../registry/model-views';

export const handler = routeHandler('putAccess', async ({ actor, params, body }) =>
  jsonResponse(200, accessView(await getServices().registry.setAccess(actor, params.name ?? '', body))));
