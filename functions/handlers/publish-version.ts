import { publishVersion } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { sendToQueue } from '../platform/queue-sender';
import { DOI_QUEUE, requirePublishing, versionPublishing } from '../platform/publishing-services';
import { publicationView } from '../registry/model-views';

/**
 * `POST /model/{name}/versions/{n}/publish` (owner only): starts the version's publication, or
 * answers the one under way or done. While it is `publishing`, each call sends the registration
 * again (it is idempotent), so a lost message is made good by asking again.
 */
export const handler = routeHandler(publishVersion, async ({ actor, params }) => {
  const { name, n } = params;
  const config = requirePublishing();
  const publication = await versionPublishing().request(actor, name, n);
  const body = { model: name, version: n, ...publicationView(publication) };
  if (publication.state !== 'publishing') return jsonResponse(200, body);
  await sendToQueue(DOI_QUEUE, config.queueUrl, JSON.stringify({ name, version: n }));
  return jsonResponse(202, body, { location: `/model/${encodeURIComponent(name)}/versions/${n}` });
});
