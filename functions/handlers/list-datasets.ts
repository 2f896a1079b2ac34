import { listDatasets } from '../contracts/dataset-contracts';
import { listOwnDatasets } from '../datasets/dataset-listing';
import { datasetView } from '../datasets/dataset-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { datasetStore } from '../platform/dataset-services';

const DEFAULT_PAGE = 50;

/** As the models' plain listing: a JSON array, the next page in `Link: rel="next"` and `x-next-cursor`. */
export const handler = routeHandler(listDatasets, async ({ actor, query, headers, event }) => {
  const limit = query.limit ?? DEFAULT_PAGE;
  const page = await listOwnDatasets(datasetStore(), actor, { limit, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) });
  const responseHeaders: Record<string, string> = { 'cache-control': 'no-store' };
  if (page.nextCursor) {
    const origin = `${headers['x-forwarded-proto'] ?? 'https'}://${headers.host ?? 'localhost'}`;
    responseHeaders.link = `<${origin}${event.rawPath}?${new URLSearchParams({ limit: String(limit), cursor: page.nextCursor }).toString()}>; rel="next"`;
    responseHeaders['x-next-cursor'] = page.nextCursor;
  }
  return jsonResponse(200, page.datasets.map(datasetView), responseHeaders);
});
