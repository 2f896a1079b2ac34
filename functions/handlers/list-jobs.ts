import { listJobs } from '../contracts/job-contracts';
import { jobView } from '../jobs/job-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { jobStore } from '../platform/job-services';
import { encodeCursor, listingStart } from '../registry/list-cursor';

const DEFAULT_PAGE = 50;

/** As the datasets' listing: the caller's own jobs, a JSON array, the next page in `Link: rel="next"` and `x-next-cursor`. */
export const handler = routeHandler(listJobs, async ({ actor, query, headers, event }) => {
  const limit = query.limit ?? DEFAULT_PAGE;
  const before = listingStart(query.cursor);
  const page = await jobStore().listByOwner(actor.id, { limit, ...(before === undefined ? {} : { before }) });
  const responseHeaders: Record<string, string> = { 'cache-control': 'no-store' };
  if (page.last) {
    const cursor = encodeCursor(page.last);
    const origin = `${headers['x-forwarded-proto'] ?? 'https'}://${headers.host ?? 'localhost'}`;
    responseHeaders.link = `<${origin}${event.rawPath}?${new URLSearchParams({ limit: String(limit), cursor }).toString()}>; rel="next"`;
    responseHeaders['x-next-cursor'] = cursor;
  }
  const now = new Date();
  return jsonResponse(200, page.jobs.map((job) => jobView(job, now)), responseHeaders);
});
