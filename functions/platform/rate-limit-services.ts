import { DynamoRateCounterStore } from '../rate-limits/dynamo-rate-counter-store';
import { RateLimiter } from '../rate-limits/rate-limiter';
import { isRateLimited, loadRateLimitPolicy } from '../rate-limits/rate-limit-policy';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';
import { tableServices } from './table-services';

/**
 * The rate limiter of this environment, over the table's one document client; undefined when
 * MLHUB_RATE_LIMITS turns limiting off (the local runtime's default). Built on first use, as the
 * table services are, so that a bad setting answers as an error instead of failing a cold start.
 */
export const rateLimiter = lazy((): RateLimiter | undefined => {
  const policy = loadRateLimitPolicy();
  if (!isRateLimited(policy)) return undefined;
  return new RateLimiter({ store: new DynamoRateCounterStore(tableServices().documents, loadFunctionConfig().tableName), policy });
});
