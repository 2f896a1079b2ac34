import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { getServices } from '../platform/services';
import { modelEtag, modelView } from '../registry/model-views';

export const handler = routeHandler('createModel', async ({ actor, params, body }) => {
  const model = await getServices().registry.createModel(actor, params.name ?? '', body);
  return jsonResponse(201, modelView(model, [], { level: 'owner', grants: [] }), { location: `/model/${encodeURIComponent(model.name)}`, etag: modelEtag(model) });
});
