import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/functions/handler-bundling';
import { replaceWhole } from '../../cli/atomic-file';

const folder = mkdtempSync(join(tmpdir(), 'mlhub-atomic-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A CLI-like process downloading into `file` that never finishes: it says "writing" once bytes are in the partial file. */
function stuckDownload(file: string) {
  const script = `import { appendFileSync } from 'node:fs';
import { replaceWhole } from ${JSON.stringify(join(PROJECT_ROOT, 'cli/atomic-file.ts'))};
await replaceWhole(${JSON.stringify(file)}, (partial) => {
  appendFileSync(partial, 'row 1\\n');
  console.log('writing');
  return new Promise(() => setInterval(() => undefined, 1000));
});`;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('replaceWhole', () => {
  it('replaces the file only once the write succeeds, and leaves it as it was when the write fails', async () => {
    const file = join(folder, 'preds.csv');
    writeFileSync(file, 'old');
    await expect(replaceWhole(file, async (partial) => {
      writeFileSync(partial, 'half');
      throw new Error('connection reset');
    })).rejects.toThrow('connection reset');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(existsSync(`${file}.part`)).toBe(false);
    await replaceWhole(file, async (partial) => writeFileSync(partial, 'new'));
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(existsSync(`${file}.part`)).toBe(false);
  });

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('removes the partial file on %s mid-write and exits %i', async (signal, status) => {
    const file = join(folder, `${signal}.csv`);
    const child = stuckDownload(file);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('writing') && resolve());
      child.once('exit', (code) => reject(new Error(`exited ${code} before writing`)));
    });
    expect(existsSync(`${file}.part`)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    expect(await exited).toBe(status);
    expect(existsSync(`${file}.part`)).toBe(false);
    expect(existsSync(file)).toBe(false);
  });
});
