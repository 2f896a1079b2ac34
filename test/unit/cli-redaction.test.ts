import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactText } from '../../functions/observability/log-redaction';
import { runCli } from '../support/run-cli';

const PAT = 'mlh_Zx9SecretTokenBody0123456789abcdef';
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mlhub-cli-redaction-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('redactText', () => {
  it('hides a URL\'s userinfo, and a token glued to other text', () => {
    expect(redactText(`Could not reach MLHub at http://u:${PAT}@127.0.0.1:18290`)).toBe('Could not reach MLHub at http://[redacted]@127.0.0.1:18290');
    expect(redactText('see https://ada:hunter2@example.org/x and ftp://bob@h')).toBe('see https://[redacted]@example.org/x and ftp://[redacted]@h');
    expect(redactText(`'notaurl${PAT}' is not a URL`)).toBe(`'notaurl[redacted]' is not a URL`);
    expect(redactText('mail ada@example.org at http://example.org/a@b')).toBe('mail ada@example.org at http://example.org/a@b');
    expect(redactText('The bearer token was refused; Authorization: Bearer abc.def')).toBe('The bearer token was refused; Authorization: [redacted]');
  });
});

describe('what the CLI prints', () => {
  it('never shows a token or a URL\'s userinfo the user typed', async () => {
    const env = { MLHUB_CONFIG: join(scratch, 'config.json') };
    const login = await runCli(['login', '--url', `http://u:${PAT}@127.0.0.1:9`, '--token', PAT], env);
    const ls = await runCli(['ls'], { ...env, MLHUB_URL: `notaurl${PAT}` });
    const userinfo = await runCli(['ls'], { ...env, MLHUB_URL: 'http://ada:hunter2@127.0.0.1:9' });
    for (const run of [login, ls, userinfo]) {
      expect(run.code).not.toBe(0);
      expect(run.stdout + run.stderr).not.toContain('Zx9SecretTokenBody');
      expect(run.stdout + run.stderr).not.toContain('hunter2');
      expect(run.stderr).toContain('[redacted]');
    }
  }, 60_000);
});
