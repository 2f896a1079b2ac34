/**
 * Whether a .json file is an XGBoost booster, from its first bytes: Booster.save_model writes the
 * JSON model as `{"learner": {…}, "version": [1, 7, 4]}`, "learner" first (also once keys are
 * sorted), and no sidecar a model ships with (metrics.json, vocab.json, trainer_state.json,
 * preprocessor_config.json) starts so. The framework scripts hold the same rule
 * (scripts/xgboost/inference.py, BOOSTER_JSON).
 */
const BOOSTER_JSON_START = /^\uFEFF?\s*\{\s*"learner"\s*:/;

/** How many leading bytes the rule reads. */
export const BOOSTER_JSON_HEAD_BYTES = 64;

export const looksLikeBoosterJson = (head: Buffer): boolean =>
  BOOSTER_JSON_START.test(head.subarray(0, BOOSTER_JSON_HEAD_BYTES).toString('utf8'));

/** The first `bytes` bytes of a stream, which is read to its end (a tar entry must be). */
export async function streamHead(stream: AsyncIterable<unknown>, bytes = BOOSTER_JSON_HEAD_BYTES): Promise<Buffer> {
  const kept: Buffer[] = [];
  let length = 0;
  for await (const piece of stream) {
    if (length >= bytes) continue;
    const chunk = piece as Buffer;
    kept.push(chunk.subarray(0, bytes - length));
    length += Math.min(chunk.length, bytes - length);
  }
  return Buffer.concat(kept);
}
