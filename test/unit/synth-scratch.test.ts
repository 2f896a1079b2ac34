import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/functions/handler-bundling';

describe('synthScratchDir', () => {
  it('gives a folder that exists during the synth and is gone once the process exits', () => {
    const script = `import { existsSync, writeFileSync } from 'node:fs';
import { synthScratchDir } from ${JSON.stringify(join(PROJECT_ROOT, 'lib/functions/synth-scratch.ts'))};
const folders = [synthScratchDir('mlhub-scratch-test-'), synthScratchDir('mlhub-scratch-test-')];
for (const folder of folders) writeFileSync(folder + '/archive.tar.gz', 'bytes');
console.log(JSON.stringify(folders.map((folder) => [folder, existsSync(folder + '/archive.tar.gz')])));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    const folders = JSON.parse(out.trim().split('\n').pop() as string) as [string, boolean][];
    expect(folders).toHaveLength(2);
    expect(new Set(folders.map(([folder]) => folder)).size).toBe(2);
    for (const [folder, existed] of folders) {
      expect(existed).toBe(true);
      expect(existsSync(folder)).toBe(false);
    }
  });
});
