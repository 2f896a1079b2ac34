import { getStatus } from '../contracts/service-contracts';
import packageJson from '../../package.json' with { type: 'json' };
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { bundleStore } from '../platform/bundle-services';
import { tableServices } from '../platform/table-services';

const probe = (check: Promise<void>): Promise<'ok' | 'unavailable'> => check.then(() => 'ok' as const, () => 'unavailable' as const);

export const handler = routeHandler(getStatus, async () => {
  const [metadata, bundles] = await Promise.all([probe(tableServices().models.ping()), probe(bundleStore().ping())]);
  const healthy = metadata === 'ok' && bundles === 'ok';
  return jsonResponse(healthy ? 200 : 503, {
    status: healthy ? 'ok' : 'degraded',
    service: 'mlhub',
    version: packageJson.version,
    checks: { metadata, bundles },
    time: new Date().toISOString(),
  }, { 'cache-control': 'no-store' });
});
