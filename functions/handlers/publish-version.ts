import { publishVersion } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { sendDoiWork } from '../platform/doi-work-sender';
import { requirePublishing, versionPublishing } from '../platform/publishing-services';
import { publicationView } from '../registry/model-views';

/**
 * `POST /model/{name}/versions/{n}/publish` (owner only): starts the version's publication, or
 * answers the one under way or done. While it is `publishing`, each call sends the registration
 * again (it is idempotent), so a lost message is made good by asking again.
 */
export const handler = routeHandler(publishVersion, async ({ actor, params }) => {
  const { name, n } = params;
  requirePublishing();
  const publication = await versionPublishing().request(actor, name, n);
  const body = { model: name, version: n, ...publicationView(publication) };
  if (publication.state !== 'publishing') return jsonResponse(200, body);
  await sendDoiWork(name, n);
  return jsonResponse(202, body, { location: `/model/${encodeURIComponent(name)}/versions/${n}` });
});
