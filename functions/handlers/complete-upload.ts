import { completeUpload } from '../contracts/version-contracts';
import { AppError } from '../errors/app-error';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { uploadSessions } from '../platform/bundle-services';
import { versionView } from '../registry/model-views';

/** Time kept back from the invocation's deadline to answer while the check goes on. */
const ANSWER_MARGIN_MS = 2000;

/**
 * 200 with the ready version; 202 while a large bundle is still being checked (ask again, or
 * watch the version); 400 with the reason when the bundle was refused.
 */
export const handler = routeHandler(completeUpload, async ({ actor, params, remainingMs }) => {
  const name = params.name;
  const version = await uploadSessions().complete(actor, name, params.id, Date.now() + remainingMs() - ANSWER_MARGIN_MS);
  if (version.status === 'rejected') throw new AppError('invalid', 'bundle_rejected', `The bundle was refused: ${version.reason ?? 'it failed the checks'}`);
  return jsonResponse(version.status === 'ready' ? 200 : 202, { model: name, ...versionView(version) });
});
