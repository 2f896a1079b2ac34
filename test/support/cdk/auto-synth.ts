/**
 * With CDK_OUTDIR set, every App defaults to `autoSynth`: it registers a synth of itself on the
 * process's 'beforeExit' (aws-cdk-lib core/lib/app.ts, `props.autoSynth ?? OUTDIR_ENV in env`).
 * In a test worker that late synth writes into an outdir the file has already removed, and its
 * ENOENT surfaces as a vitest "unhandled error" that fails the run although every test passed.
 *
 * Call before a test file makes its Apps; the returned function removes the 'beforeExit'
 * listeners added since, that is the Apps' pending auto-synths.
 */
export function dropAutoSynthsAddedFromNow(): () => void {
  const before = new Set(process.listeners('beforeExit'));
  return () => {
    for (const listener of process.listeners('beforeExit')) if (!before.has(listener)) process.removeListener('beforeExit', listener);
  };
}
