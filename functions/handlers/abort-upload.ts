import { abortUpload } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { uploadSessions } from '../platform/bundle-services';

export const handler = routeHandler(abortUpload, async ({ actor, params }) => {
  const id = params.id;
  await uploadSessions().abort(actor, params.name, id);
  return jsonResponse(200, { upload_id: id, aborted: true });
});
