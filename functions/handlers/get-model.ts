import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { getServices } from '../platform/services';
import { modelEtag, modelView } from '../registry/model-views';

export const handler = routeHandler('getModel', async ({ actor, params }) => {
  const { model, versions, grants, level } = await getServices().registry.getModel(actor, params.name ?? '');
  return jsonResponse(200, modelView(model, versions, { level, grants }), { etag: modelEtag(model) });
});
