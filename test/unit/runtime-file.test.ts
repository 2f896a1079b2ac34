import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, claimDataDir, readRuntimeRecord } from '../../local/runtime-file';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mlhub-runtime-file-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The pid of a process that has exited, as one killed with -9 leaves behind. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

const record = async () => JSON.parse(await readFile(join(dataDir, 'runtime.json'), 'utf8')) as { pid: number; url?: string };

describe('runtime.json, one MLHub per data folder', () => {
  it('a live holder keeps the folder: the second claim fails naming its address and pid', async () => {
    const first = await claimDataDir(dataDir, process.pid);
    await first.publish({ url: 'http://127.0.0.1:9999' });
    const second = claimDataDir(dataDir, process.ppid);
    await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
    await expect(second).rejects.toThrow(`MLHub is already running on this data folder (${dataDir}) at http://127.0.0.1:9999, pid ${process.pid}; stop it or set MLHUB_DATA_DIR to another folder`);
    expect(await record()).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:9999' });
  });

  it.each([['a free folder', false], ['a folder a dead process left its file in', true]])('of two claims at once on %s, exactly one wins', async (_label, stale) => {
    for (let round = 0; round < 8; round += 1) {
      await rm(join(dataDir, 'runtime.json'), { force: true });
      if (stale) await writeFile(join(dataDir, 'runtime.json'), JSON.stringify({ pid: await deadPid() }));
      const results = await Promise.allSettled([claimDataDir(dataDir, process.pid), claimDataDir(dataDir, process.ppid)]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: expect.any(DataDirInUseError) });
    }
  });

  it('a file left by a dead process is taken over, and so is a torn one, each as an unclean stop; a released one is not', async () => {
    await writeFile(join(dataDir, 'runtime.json'), JSON.stringify({ pid: await deadPid(), url: 'http://127.0.0.1:1' }));
    expect(await readRuntimeRecord(dataDir)).toBeUndefined();
    const claim = await claimDataDir(dataDir, process.pid);
    expect(claim.uncleanStop).toBe(true);
    expect(await record()).toMatchObject({ pid: process.pid });
    await claim.release();
    const afterRelease = await claimDataDir(dataDir, process.pid);
    expect(afterRelease.uncleanStop).toBe(false);
    await afterRelease.release();
    await writeFile(join(dataDir, 'runtime.json'), '{"pid": 12');
    expect((await claimDataDir(dataDir, process.pid)).uncleanStop).toBe(true);
    expect(await record()).toMatchObject({ pid: process.pid });
  });

  it('release removes only its own file', async () => {
    const claim = await claimDataDir(dataDir, process.pid);
    await writeFile(join(dataDir, 'runtime.json'), JSON.stringify({ pid: process.ppid }));
    await claim.release();
    expect(await record()).toMatchObject({ pid: process.ppid });
  });

  it('readRuntimeRecord finds the live holder with its address', async () => {
    const claim = await claimDataDir(dataDir, process.pid);
    expect(await readRuntimeRecord(dataDir)).toMatchObject({ pid: process.pid });
    await claim.publish({ url: 'http://127.0.0.1:8083', s3Endpoint: 'http://127.0.0.1:4000' });
    expect(await readRuntimeRecord(dataDir)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:8083' });
    await claim.release();
    expect(await readRuntimeRecord(dataDir)).toBeUndefined();
  });
});
