import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { dropAutoSynthsAddedFromNow } from '../support/cdk/auto-synth';

describe('the Apps a test file makes', () => {
  // What the setup file guards against: an App auto-synthesizing on 'beforeExit' into a folder
  // removed when its file ended.
  const appInRemovedOutdir = () => {
    const outdir = mkdtempSync(join(tmpdir(), 'mlhub-auto-synth-'));
    new Stack(new App({ outdir, autoSynth: true }), 'Late');
    rmSync(outdir, { recursive: true, force: true });
  };

  it('would synthesize again at beforeExit, into a folder that is gone', () => {
    const drop = dropAutoSynthsAddedFromNow();
    appInRemovedOutdir();
    try {
      expect(() => process.emit('beforeExit', 0)).toThrow(/ENOENT/);
    } finally {
      drop();
    }
  });

  it('do not, once their auto-synths are dropped', () => {
    const drop = dropAutoSynthsAddedFromNow();
    appInRemovedOutdir();
    drop();
    expect(() => process.emit('beforeExit', 0)).not.toThrow();
  });
});
