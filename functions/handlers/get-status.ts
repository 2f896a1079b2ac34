import { getStatus } from '../contracts/service-contracts';
import packageJson from '../../package.json' with { type: 'json' };
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { logger } from '../observability/logger';
import { bundleStore } from '../platform/bundle-services';
import { tableServices } from '../platform/table-services';

/**
 * A store that does not answer makes the status 503; the answer says only which store, so the
 * cause goes to the log (at ERROR, under the request's correlation id), as for every other 5xx.
 */
const probe = (store: 'metadata' | 'bundles', check: () => Promise<void>): Promise<'ok' | 'unavailable'> => Promise.resolve().then(check).then(
  () => 'ok' as const,
  (error: unknown) => {
    logger.error('store check failed', { store, error });
    return 'unavailable' as const;
  },
);

export const handler = routeHandler(getStatus, async () => {
  const [metadata, bundles] = await Promise.all([probe('metadata', () => tableServices().models.ping()), probe('bundles', () => bundleStore().ping())]);
  const healthy = metadata === 'ok' && bundles === 'ok';
  return jsonResponse(healthy ? 200 : 503, {
    status: healthy ? 'ok' : 'degraded',
    service: 'mlhub',
    version: packageJson.version,
    checks: { metadata, bundles },
    time: new Date().toISOString(),
  }, { 'cache-control': 'no-store' });
});
