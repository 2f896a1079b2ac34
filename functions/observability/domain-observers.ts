import type { PredictionOutcome } from '../inference/inference-engine';
import type { UploadCheck } from '../versions/version-finalizer';
import { logger } from './logger';
import { recordPrediction, recordUploadCheck } from './metrics';

/** The inference engine's onPrediction: Predictions (or PredictionErrors) and PredictionLatency per backend. */
export function observePrediction(outcome: PredictionOutcome): void {
  recordPrediction(outcome);
}

/**
 * The finalizer's onChecked: UploadChecks and BundleBytes per outcome, and a log entry saying
 * what became of the version; a rejection says why, as the version record does.
 */
export function observeUploadCheck(check: UploadCheck): void {
  recordUploadCheck(check);
  const details = { model: check.name, version: check.version, bytes: check.bytes };
  if (check.outcome === 'rejected') logger.info('bundle rejected', { ...details, reason: check.reason });
  else logger.info('bundle ready', details);
}
