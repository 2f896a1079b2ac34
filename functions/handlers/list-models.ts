import { routeHandler } from '../http/route-handler';
import { parseFlag, positiveIntegerParam } from '../http/query-params';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { modelSummaryView } from '../registry/model-views';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;

/** Like the Hugging Face Hub, the body is a plain array and the next page is a `Link: rel="next"`. */
export const handler = routeHandler('listModels', async ({ actor, query, headers, event }) => {
  const limit = positiveIntegerParam(query, 'limit', MAX_PAGE) ?? DEFAULT_PAGE;
  const mine = parseFlag(query, 'mine');
  const page = await modelRegistry().listModels(actor, { limit, mine, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) });
  const responseHeaders: Record<string, string> = {};
  if (page.nextCursor) {
    const origin = `${headers['x-forwarded-proto'] ?? 'https'}://${headers.host ?? 'localhost'}`;
    const next = new URLSearchParams({ limit: String(limit), ...(mine ? { mine: '1' } : {}), cursor: page.nextCursor });
    responseHeaders.link = `<${origin}${event.rawPath}?${next.toString()}>; rel="next"`;
    responseHeaders['x-next-cursor'] = page.nextCursor;
  }
  return jsonResponse(200, page.models.map(modelSummaryView), responseHeaders);
});
