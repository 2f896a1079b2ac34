/**
 * `npm start` with a bad setting stops before it serves, in one line naming the variable: the
 * settings the handlers read on the request that first needs them are read at startup.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDataDir, startMlhub } from '../support/local-runtime';

const dataDirs: string[] = [];
afterAll(async () => {
  for (const dir of dataDirs) await removeDataDir(dir);
});

/** The start's exit code and the lines it printed. */
async function refusedStart(env: Record<string, string>): Promise<{ exitCode: unknown; lines: string[] }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mlhub-data-'));
  dataDirs.push(dataDir);
  const failure = await startMlhub({ dataDir, env }).then(
    async (mlhub) => {
      await mlhub.stop();
      throw new Error(`MLHub started with ${JSON.stringify(env)}`);
    },
    (error: Error & { exitCode?: unknown }) => error,
  );
  return { exitCode: failure.exitCode, lines: failure.message.replace(/^MLHub did not start:\n/, '').trim().split('\n') };
}

describe('npm start with a bad setting', () => {
  it.each([
    [{ MLHUB_RATE_LIMITS: 'read=5/1d' }, /^Environment variable MLHUB_RATE_LIMITS: 'read=5\/1d' is not <class>=<requests>\/<window>/],
    [{ MLHUB_LOG_FORMAT: 'jsn' }, /^MLHUB_LOG_FORMAT must be 'text' or 'json', got 'jsn'$/],
    [{ MLHUB_UPLOAD_SESSION_SECONDS: '1h' }, /^Environment variable MLHUB_UPLOAD_SESSION_SECONDS must be a whole number from 1 to 86400, got '1h'$/],
    [{ MLHUB_PREDICT_LOOKUP_CACHE_MS: 'off' }, /^Environment variable MLHUB_PREDICT_LOOKUP_CACHE_MS must be a whole number from 0 to 2147483647, got 'off'$/],
    [{ MLHUB_SWEEP_SECONDS: '1m' }, /^MLHUB_SWEEP_SECONDS must be a whole number of seconds/],
    [{ MLHUB_SWEEP_SECONDS: '2147484' }, /^MLHUB_SWEEP_SECONDS must be a whole number of seconds from 0 \(sweepVersions off\) to 2147483, got '2147484'$/],
    [{ MLHUB_PRESIGN_SECONDS: '1e3' }, /^Environment variable MLHUB_PRESIGN_SECONDS must be a whole number from 1 to 604800, got '1e3'$/],
    [{ MLHUB_CORS_ORIGINS: 'https://app.example.org/ui' }, /^MLHUB_CORS_ORIGINS: 'https:\/\/app.example.org\/ui' is not written as browsers send it \(an origin has no path, query or credentials\): write https:\/\/app.example.org$/],
    [{ MLHUB_CORS_ORIGINS: 'https://APP.example.org:443' }, /^MLHUB_CORS_ORIGINS: 'https:\/\/APP.example.org:443' is not written as browsers send it: write https:\/\/app.example.org$/],
    [{ MLHUB_CORS_ORIGINS: 'http://app.example.org' }, /^MLHUB_CORS_ORIGINS: 'http:\/\/app.example.org' must be an https origin such as https:\/\/app.example.org, or http on localhost, 127.0.0.1 or \[::1\]$/],
    [{ MLHUB_CORS_ORIGINS: 'http://localhost:5173,*' }, /^MLHUB_CORS_ORIGINS: '\*' is not an origin such as https:\/\/app.example.org$/],
    [{ PORT: '0x10' }, /^PORT must be a whole number from 0 to 65535, got '0x10'$/],
    [{ MLHUB_ACCESS_LOG: 'no' }, /^MLHUB_ACCESS_LOG must be 'on' or 'off', got 'no'$/],
  ])('refuses %o in one line naming the variable, exit code 2', async (env, message) => {
    const { exitCode, lines } = await refusedStart(env);
    expect(lines).toEqual([expect.stringMatching(message)]);
    expect(exitCode).toBe(2);
  });
});
