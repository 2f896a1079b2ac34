import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { getServices } from '../platform/services';

export const handler = routeHandler('deleteModel', async ({ actor, params }) => {
  const deleted = await getServices().registry.deleteModel(actor, params.name ?? '');
  return jsonResponse(200, { model: deleted.name, deleted: true, versions_deleted: deleted.versions, objects_deleted: deleted.objects });
});
