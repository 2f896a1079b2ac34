import { deleteModel } from '../contracts/model-contracts';
import { expectedRevision } from '../http/if-match';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRemoval } from '../platform/bundle-services';

/**
 * `DELETE /model/{name}[?reason=]`, conditional on If-Match as PUT is: a stale ETag gets 412 and
 * nothing is deleted. A model with DOIs is withdrawn (ModelRemoval.deleteModel).
 */
export const handler = routeHandler(deleteModel, async ({ actor, params, headers, query }) => {
  const deleted = await modelRemoval().deleteModel(actor, params.name, expectedRevision(headers['if-match']), query.reason);
  return jsonResponse(200, {
    model: deleted.name, deleted: true, versions_deleted: deleted.versions, objects_deleted: deleted.objects,
    withdrawn: deleted.withdrawn, versions_withdrawn: deleted.versionsWithdrawn,
  });
});
