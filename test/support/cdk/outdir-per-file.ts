import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { removeSynthScratchDirs } from '../../../lib/functions/synth-scratch';
import { dropAutoSynthsAddedFromNow } from './auto-synth';

// Vitest setup file, run before each test file. An App made without `outdir` synthesizes into a
// new `<tmpdir>/cdk.outXXXXXX` that CDK never removes, some hundreds per run of the suite: one
// folder per test file instead (CDK's CDK_OUTDIR, cx-api's OUTDIR_ENV). Vitest ends its workers
// without their exit event, so the synth's scratch folders are removed here too.
const outdir = mkdtempSync(join(tmpdir(), 'mlhub-cdk-out-'));
const inherited = process.env.CDK_OUTDIR;
process.env.CDK_OUTDIR = outdir;
const dropAutoSynths = dropAutoSynthsAddedFromNow();

afterAll(() => {
  dropAutoSynths();
  removeSynthScratchDirs();
  rmSync(outdir, { recursive: true, force: true });
  if (inherited === undefined) delete process.env.CDK_OUTDIR;
  else process.env.CDK_OUTDIR = inherited;
});
