import { getUpload } from '../contracts/version-contracts';
import { invalid } from '../errors/app-error';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { uploadSessions } from '../platform/bundle-services';
import { URLS_PER_ANSWER } from '../versions/upload-sessions';
import { uploadStatusView } from '../versions/upload-views';

/** `?parts=5-20` asks for URLs for those parts; without it, for the first parts still missing. */
function requestedParts(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const match = /^([1-9]\d{0,4})(?:-([1-9]\d{0,4}))?$/.exec(raw);
  const from = Number(match?.[1]);
  const to = Number(match?.[2] ?? match?.[1]);
  if (!match || to < from || to - from >= URLS_PER_ANSWER) {
    throw invalid('invalid_parts', `Query parameter 'parts' must be N or N-M with at most ${URLS_PER_ANSWER} parts, got '${raw}'`);
  }
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export const handler = routeHandler(getUpload, async ({ actor, params, query }) => {
  const status = await uploadSessions().status(actor, params.name, params.id, requestedParts(query.parts));
  return jsonResponse(200, uploadStatusView(status), { 'cache-control': 'no-store' });
});
