import type { Context } from 'aws-lambda';
import { logger } from '../observability/logger';
import { observeEvents } from '../observability/event-observer';
import { pendingSweep } from '../platform/bundle-services';
import type { SweepReport } from '../versions/pending-sweep';

/** Time kept back from the invocation's deadline to stop cleanly. */
const STOP_MARGIN_MS = 10_000;

/** Run on a schedule: expires abandoned pending versions and checks stored ones nobody checked. */
export const handler = observeEvents('sweepVersions', async (_event: unknown, context: Context): Promise<SweepReport> => {
  const report = await pendingSweep().sweep(Date.now() + Math.max(0, context.getRemainingTimeInMillis() - STOP_MARGIN_MS));
  logger.info('pending versions swept', { ...report });
  return report;
});
