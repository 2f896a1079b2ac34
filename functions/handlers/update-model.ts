import { updateModel } from '../contracts/model-contracts';
import { expectedRevision } from '../http/if-match';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { modelEtag, modelView } from '../registry/model-views';

export const handler = routeHandler(updateModel, async ({ actor, params, body, headers }) => {
  const registry = modelRegistry();
  const name = params.name;
  await registry.updateModel(actor, name, body, expectedRevision(headers['if-match']));
  const { model, versions, grants, level } = await registry.getModel(actor, name);
  return jsonResponse(200, modelView(model, versions, { level, grants }), { etag: modelEtag(model) });
});
