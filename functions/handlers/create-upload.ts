import { createUpload } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { uploadSessions } from '../platform/bundle-services';
import { uploadStatusView } from '../versions/upload-views';

export const handler = routeHandler(createUpload, async ({ actor, params, body }) => {
  const status = await uploadSessions().start(actor, params.name, body);
  const view = uploadStatusView(status);
  return jsonResponse(201, view, { location: view.status_url, 'cache-control': 'no-store' });
});
