import { listModels } from '../contracts/model-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { searchService } from '../platform/search-services';
import { modelSummaryView } from '../registry/model-views';
import { SEARCH_PARAMETERS } from '../search/search-parameters';
import { isSearch, toSearchQuery } from '../search/search-query';
import { searchResultView } from '../search/search-views';

const DEFAULT_PAGE = 50;

/** `<origin><path>?<params>; rel="next"`: the next page's URL, as the caller reached this one. */
function nextLink(headers: Readonly<Record<string, string | undefined>>, path: string, params: URLSearchParams): string {
  const origin = `${headers['x-forwarded-proto'] ?? 'https'}://${headers.host ?? 'localhost'}`;
  return `<${origin}${path}?${params.toString()}>; rel="next"`;
}

/**
 * Like the Hugging Face Hub, the plain listing's body is a plain array and the next page is a
 * `Link: rel="next"`. Any search parameter (q, a filter, sort, direction) makes it a search,
 * answered `{hits, total, facets, next_cursor}` (functions/search/search-views.ts), whose next
 * link carries the search's parameters as sent, with the next cursor.
 */
export const handler = routeHandler(listModels, async ({ actor, query, headers, event }) => {
  const limit = query.limit ?? DEFAULT_PAGE;
  const mine = query.mine ?? false;
  if (isSearch(query)) {
    const result = await searchService().searchModels(actor, toSearchQuery(query, DEFAULT_PAGE));
    const responseHeaders: Record<string, string> = {};
    if (result.nextCursor) {
      const raw = event.queryStringParameters ?? {};
      const next = new URLSearchParams({ limit: String(limit), ...(mine ? { mine: '1' } : {}) });
      for (const name of SEARCH_PARAMETERS) if (raw[name] !== undefined) next.set(name, raw[name]);
      next.set('cursor', result.nextCursor);
      responseHeaders.link = nextLink(headers, event.rawPath, next);
    }
    return jsonResponse(200, searchResultView(result), responseHeaders);
  }
  const page = await modelRegistry().listModels(actor, { limit, mine, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) });
  const responseHeaders: Record<string, string> = {};
  if (page.nextCursor) {
    const next = new URLSearchParams({ limit: String(limit), ...(mine ? { mine: '1' } : {}), cursor: page.nextCursor });
    responseHeaders.link = nextLink(headers, event.rawPath, next);
    responseHeaders['x-next-cursor'] = page.nextCursor;
  }
  return jsonResponse(200, page.models.map(modelSummaryView), responseHeaders);
});
