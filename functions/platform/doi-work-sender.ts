import { logger } from '../observability/logger';
import { PUBLISHING_ENV } from '../publishing/publishing-config';
import { sendToQueue } from './queue-sender';

/** The catalogue's queue of DOI work (functions/catalogue/function-catalogue.ts, registerDois). */
export const DOI_QUEUE = 'doi-registrations';

/**
 * Asks registerDois to do the DOI work version `version` of `name` awaits (register it, or hide a
 * withdrawn one): the message `{"name","version"}`, on the queue the stack names in
 * MLHUB_DOI_QUEUE_URL, or the local runtime's. Throws if the queue cannot take it.
 */
export function sendDoiWork(name: string, version: number): Promise<void> {
  return sendToQueue(DOI_QUEUE, process.env[PUBLISHING_ENV.queueUrl]?.trim() || undefined, JSON.stringify({ name, version }));
}

/**
 * sendDoiWork for work already recorded in the table, such as a withdrawal: a message that
 * cannot be sent now is logged, and the sweep sends it again (PendingSweep, the DOI work index).
 */
export async function sendRecordedDoiWork(name: string, version: number): Promise<void> {
  try {
    await sendDoiWork(name, version);
  } catch (error) {
    logger.warn('DOI work not sent; the sweep sends it again', { model: name, version, error: error as Error });
  }
}
