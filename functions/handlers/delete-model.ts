import { deleteModel } from '../contracts/model-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRemoval } from '../platform/bundle-services';

export const handler = routeHandler(deleteModel, async ({ actor, params }) => {
  const deleted = await modelRemoval().deleteModel(actor, params.name);
  return jsonResponse(200, { model: deleted.name, deleted: true, versions_deleted: deleted.versions, objects_deleted: deleted.objects });
});
