import { listUploads } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { uploadSessions } from '../platform/bundle-services';
import { uploadSessionView } from '../versions/upload-views';

export const handler = routeHandler(listUploads, async ({ actor, params }) =>
  jsonResponse(200, (await uploadSessions().list(actor, params.name)).map(uploadSessionView)));
