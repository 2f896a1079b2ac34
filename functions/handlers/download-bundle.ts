import { routeHandler } from '../http/route-handler';
import { positiveIntegerParam } from '../http/query-params';
import { binaryResponse } from '../http/responses';
import { versionRegistry } from '../platform/bundle-services';

const MAX_VERSION = 9_999_999_999;

export const handler = routeHandler('downloadBundle', async ({ actor, params, query }) => {
  const name = params.name ?? '';
  const requested = positiveIntegerParam(query, 'version', MAX_VERSION);
  const { version, bytes } = await versionRegistry().getBundle(actor, name, requested);
  return binaryResponse(200, bytes, {
    'content-type': 'application/gzip',
    'content-disposition': `attachment; filename="${name}-v${version.version}.tar.gz"`,
    etag: `"${version.sha256}"`,
    'x-mlhub-version': String(version.version),
    'x-mlhub-sha256': version.sha256,
  });
});
