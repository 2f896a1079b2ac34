import { getUpload } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { uploadSessions } from '../platform/bundle-services';
import { requestedParts } from '../uploads/upload-transfer';
import { uploadStatusView } from '../versions/upload-views';

export const handler = routeHandler(getUpload, async ({ actor, params, query }) => {
  const status = await uploadSessions().status(actor, params.name, params.id, requestedParts(query.parts));
  return jsonResponse(200, uploadStatusView(status), { 'cache-control': 'no-store' });
});
