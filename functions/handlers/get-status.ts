import packageJson from '../../package.json' with { type: 'json' };
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { getServices } from '../platform/services';

const probe = (check: Promise<void>): Promise<'ok' | 'unavailable'> => check.then(() => 'ok' as const, () => 'unavailable' as const);

export const handler = routeHandler('getStatus', async () => {
  const { models, bundles } = getServices();
  const [metadata, bundleStore] = await Promise.all([probe(models.ping()), probe(bundles.ping())]);
  const healthy = metadata === 'ok' && bundleStore === 'ok';
  return jsonResponse(healthy ? 200 : 503, {
    status: healthy ? 'ok' : 'degraded',
    service: 'mlhub',
    version: packageJson.version,
    checks: { metadata, bundles: bundleStore },
    time: new Date().toISOString(),
  }, { 'cache-control': 'no-store' });
});
