import { downloadBundle } from '../contracts/version-contracts';
import { routeHandler } from '../http/route-handler';
import { binaryResponse, jsonResponse } from '../http/responses';
import { bundleStore, readyVersions } from '../platform/bundle-services';
import { loadFunctionConfig } from '../platform/function-config';
import { LAMBDA_BINARY_BODY_LIMIT } from '../routes/route-table';


/**
 * Small bundles come back in the answer, as the seed's `curl …/download` expects. Larger ones
 * cannot pass through Lambda: the answer redirects to a short-lived S3 URL that names the file
 * (so `curl -L -OJ` saves it under its name) and serves Range requests.
 */
export const handler = routeHandler(downloadBundle, async ({ actor, params, query }) => {
  const name = params.name;
  const version = await readyVersions().downloadableVersion(actor, name, query.version);
  const filename = `${name}-v${version.version}.tar.gz`;
  const identity = { etag: `"${version.sha256}"`, 'x-mlhub-version': String(version.version), 'x-mlhub-sha256': version.sha256 };
  if (version.size > LAMBDA_BINARY_BODY_LIMIT) {
    const url = await bundleStore().presignDownload(version.bundleKey, filename, loadFunctionConfig().uploads.presignSeconds, version.pin);
    return jsonResponse(302, { model: name, version: version.version, size: version.size, url }, { location: url, ...identity, 'cache-control': 'no-store' });
  }
  return binaryResponse(200, await bundleStore().get(version.bundleKey, version.pin), {
    'content-type': 'application/gzip',
    'content-disposition': `attachment; filename="${filename}"`,
    ...identity,
  });
});
