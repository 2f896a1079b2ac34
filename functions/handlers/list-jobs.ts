import { listJobs } from '../contracts/job-contracts';
import { jobView } from '../jobs/job-views';
import { routeHandler } from '../http/route-handler';
import { pageHeaders } from '../http/next-page';
import { jsonResponse } from '../http/responses';
import { jobStore } from '../platform/job-store-services';
import { encodeCursor, listingStart } from '../registry/list-cursor';

const DEFAULT_PAGE = 50;

/** The caller's own jobs, newest first: a JSON array, the next page in `Link: rel="next"` and `x-next-cursor`, as the datasets' listing pages. */
export const handler = routeHandler(listJobs, async ({ actor, query, headers, event }) => {
  const limit = query.limit ?? DEFAULT_PAGE;
  const before = listingStart(query.cursor);
  const page = await jobStore().listByOwner(actor.id, { limit, ...(before === undefined ? {} : { before }) });
  const now = new Date();
  return jsonResponse(200, page.jobs.map((job) => jobView(job, now)), pageHeaders({ headers, path: event.rawPath }, limit, page.last === undefined ? undefined : encodeCursor(page.last)));
});
