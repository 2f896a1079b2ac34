import { listModels } from '../contracts/model-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { modelSummaryView } from '../registry/model-views';

const DEFAULT_PAGE = 50;

/** Like the Hugging Face Hub, the body is a plain array and the next page is a `Link: rel="next"`. */
export const handler = routeHandler(listModels, async ({ actor, query, headers, event }) => {
  const limit = query.limit ?? DEFAULT_PAGE;
  const mine = query.mine ?? false;
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
