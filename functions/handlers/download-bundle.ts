import { downloadBundle } from '../contracts/version-contracts';
import { prefers } from '../http/accept';
import { routeHandler } from '../http/route-handler';
import { binaryResponse, jsonResponse, type HttpResult } from '../http/responses';
import { bundleStore, readyVersions } from '../platform/bundle-services';
import { loadFunctionConfig } from '../platform/function-config';
import { usageRecorder } from '../platform/usage-services';
import { LAMBDA_BINARY_BODY_LIMIT } from '../routes/route-table';
import type { VersionRecord } from '../versions/version-records';

/** An instant as ISO 8601 in UTC, to the second, rounded down (so never later than the truth). */
const toSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Small bundles come back in the answer, as the seed's `curl …/download` expects. Larger ones
 * cannot pass through Lambda: the answer redirects to a short-lived S3 URL that names the file
 * (so `curl -L -OJ` saves it under its name) and serves Range requests.
 *
 * Browsers ask for JSON instead (`Accept: application/json`, or `?redirect=false`) and get that
 * URL, whatever the size, with its expiry, as a 200: a 302 to another origin is followed with
 * `Origin: null`, which the bucket's CORS rule does not allow, while a fetch of the URL itself
 * carries the page's origin (functions/bundles/bucket-cors.ts).
 *
 * Each answer that hands out the bundle (its bytes, a redirect or its URL) counts one download
 * (functions/usage/), written once the answer is made; HEAD, which hands out nothing, counts none.
 */
export const handler = routeHandler(downloadBundle, async ({ actor, params, query, headers, event }) => {
  const name = params.name;
  const version = await readyVersions().downloadableVersion(actor, name, query.version);
  const asJson = query.redirect === false || prefers(headers.accept, 'application/json', 'application/gzip');
  const serve = () => answer(name, version, asJson);
  return event.requestContext.http.method === 'HEAD' ? serve() : usageRecorder().counting(name, 'downloads', serve);
});

/** The bundle, or where to fetch it, in the form asked for (`asJson`) or the size allows. */
async function answer(name: string, version: VersionRecord, asJson: boolean): Promise<HttpResult> {
  const filename = `${name}-v${version.version}.tar.gz`;
  const identity = { etag: `"${version.sha256}"`, 'x-mlhub-version': String(version.version), 'x-mlhub-sha256': version.sha256, vary: 'accept' };
  if (asJson || version.size > LAMBDA_BINARY_BODY_LIMIT) {
    const lifetime = loadFunctionConfig().uploads.presignSeconds;
    // Taken before signing: the URL, signed a moment later, lives at least this long.
    const expires = toSecond(Date.now() + lifetime * 1000);
    const url = await bundleStore().presignDownload(version.bundleKey, filename, lifetime, version.pin);
    const link = { model: name, version: version.version, size: version.size, url, expires };
    // The JSON form is another representation than the bytes, so it cannot carry their strong
    // ETag (RFC 9110 §8.8.3): a client would take one for the other.
    const { etag: _bytesEtag, ...linkIdentity } = identity;
    if (asJson) return jsonResponse(200, link, { ...linkIdentity, 'cache-control': 'no-store' });
    return jsonResponse(302, link, { location: url, ...identity, 'cache-control': 'no-store' });
  }
  return binaryResponse(200, await bundleStore().get(version.bundleKey, version.pin), {
    'content-type': 'application/gzip',
    'content-disposition': `attachment; filename="${filename}"`,
    ...identity,
  });
}
