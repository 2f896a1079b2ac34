import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { modelEtag, modelView } from '../registry/model-views';

export const handler = routeHandler('createModel', async ({ actor, params, body }) => {
  const model = await modelRegistry().createModel(actor, params.name ?? '', body);
  return jsonResponse(201, modelView(model, [], { level: 'owner', grants: [] }), { location: `/model/${encodeURIComponent(model.name)}`, etag: modelEtag(model) });
});
