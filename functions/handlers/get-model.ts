import { getModel } from '../contracts/model-contracts';
import { negotiate } from '../landing/representations';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry, tableServices } from '../platform/table-services';
import { modelEtag, modelView } from '../registry/model-views';

/**
 * `GET /model/{name}`: the model record as JSON, or, by content negotiation
 * (functions/landing/representations.ts), its citation, JSON-LD or landing page. Those load
 * citation-js and the page renderer on first use (a dynamic import, a lazy part of the bundle),
 * so the JSON record's callers never pay for them.
 */
export const handler = routeHandler(getModel, async ({ actor, params, headers, event }) => {
  const representation = negotiate(headers.accept);
  if (representation.kind !== 'json') {
    const { answerRepresentation } = await import('../landing/model-representations');
    return answerRepresentation(representation, { actor, name: params.name, event, deps: { registry: modelRegistry(), models: tableServices().models } });
  }
  const { model, versions, grants, level } = await modelRegistry().getModel(actor, params.name);
  return jsonResponse(200, modelView(model, versions, { level, grants }), { etag: modelEtag(model) });
}, { vary: ['accept'] });
