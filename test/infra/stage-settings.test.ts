import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import type { Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { optionEnvName, parseStackOption, STACK_OPTIONS, type StackOption } from '../../lib/config/stack-config';
import { runStageCommand } from '../../lib/config/stage-command';
import { readStageSettings, StageSettingsError, stageSettingsFile, withStageLock, writeStageSettings } from '../../lib/config/stage-settings';
import { PROJECT_ROOT } from '../../lib/functions/handler-bundling';
import { createMlHubApp } from '../../lib/mlhub-app';

const NO_BUNDLING = { [BUNDLING_STACKS]: [] };
const scratches: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'mlhub-stages-'));
  scratches.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm run stage -- …` in-process against a scratch folder, quietly. */
async function stage(dir: string, ...words: string[]): Promise<void> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await runStageCommand([...words, '--settings-dir', dir]);
  } finally {
    log.mockRestore();
  }
}

const warnings = (stack: Stack): string[] => stack.node.metadata
  .filter((entry) => entry.type === 'aws:cdk:warning')
  .map((entry) => String(entry.data));

/**
 * The words of each command in a README shell block, as sh splits them: single quotes (which may
 * span lines), backslash-newline continuations, `#` comments.
 */
function shellCommands(block: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = (): void => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let at = 0; at < block.length; at += 1) {
    const char = block[at] as string;
    if (char === "'") {
      const close = block.indexOf("'", at + 1);
      word = (word ?? '') + block.slice(at + 1, close);
      at = close;
    } else if (char === '\\' && block[at + 1] === '\n') {
      endWord();
      at += 1;
    } else if (char === '\n') {
      endCommand();
    } else if (char === '#' && word === undefined) {
      at = block.indexOf('\n', at) - 1;
    } else if (char === ' ' || char === '\t') {
      endWord();
    } else {
      word = (word ?? '') + char;
    }
  }
  endCommand();
  return commands;
}

describe("a stage's saved options", () => {
  it('are what a deploy of that stage builds, and only of that stage', async () => {
    const dir = scratch();
    await stage(dir, 'prod', 'set', 'corsOrigins=https://app.example.org', 'throttleRateLimit=20');
    const prod = createMlHubApp({ context: { ...NO_BUNDLING, stage: 'prod' }, env: {}, stageSettingsDir: dir });
    expect(prod.config).toMatchObject({ stage: 'prod', corsOrigins: ['https://app.example.org'], throttleRateLimit: 20 });
    expect(prod.unsavedOptions).toEqual([]);
    expect(warnings(prod.stack)).toEqual([]);
    const dev = createMlHubApp({ context: NO_BUNDLING, env: {}, stageSettingsDir: dir });
    expect(dev.config).toMatchObject({ stage: 'dev', corsOrigins: [], throttleRateLimit: 50 });
  });

  it('stay in force when a later command sets other options, and go with unset', async () => {
    const dir = scratch();
    await stage(dir, 'prod', 'set', 'corsOrigins=https://app.example.org');
    await stage(dir, 'prod', 'set', 'presignSeconds=1800');
    expect(readStageSettings('prod', dir)).toEqual({ corsOrigins: 'https://app.example.org', presignSeconds: '1800' });
    await stage(dir, 'prod', 'unset', 'corsOrigins');
    expect(readStageSettings('prod', dir)).toEqual({ presignSeconds: '1800' });
  });

  it('are overridden by -c and MLHUB_DEPLOY_* for one deploy, with a warning naming the command that saves them', async () => {
    const dir = scratch();
    await stage(dir, 'prod', 'set', 'corsOrigins=https://app.example.org');
    const overridden = createMlHubApp({
      context: { ...NO_BUNDLING, stage: 'prod', corsOrigins: 'https://other.example.org' },
      env: { [optionEnvName('presignSeconds')]: '120' },
      stageSettingsDir: dir,
    });
    expect(overridden.config).toMatchObject({ corsOrigins: ['https://other.example.org'], presignSeconds: 120 });
    expect(overridden.unsavedOptions).toEqual(['corsOrigins', 'presignSeconds']);
    const [cors, presign, ...others] = warnings(overridden.stack);
    expect(others).toEqual([]);
    expect(cors).toContain(`goes back to "https://app.example.org" from ${stageSettingsFile('prod', dir)}`);
    expect(cors).toContain('npm run stage -- prod set corsOrigins=<value>');
    expect(presign).toContain('goes back to the default');
  });

  it('give no warning when -c or the environment say what is saved, in any form', async () => {
    const dir = scratch();
    await stage(dir, 'prod', 'set', 'corsOrigins=https://a.example.org,https://b.example.org');
    const same = createMlHubApp({
      context: { ...NO_BUNDLING, stage: 'prod', corsOrigins: '["https://a.example.org", "https://b.example.org"]' },
      env: { [optionEnvName('throttleRateLimit')]: '50' },
      stageSettingsDir: dir,
      committedContext: { '@aws-cdk/core:target-partitions': ['aws'] },
    });
    expect(same.unsavedOptions).toEqual([]);
    expect(warnings(same.stack)).toEqual([]);
  });

  it('refuse a value a deploy would refuse, naming the option, and leave the file as it was', async () => {
    const dir = scratch();
    await stage(dir, 'prod', 'set', 'throttleRateLimit=20');
    const before = readFileSync(stageSettingsFile('prod', dir), 'utf8');
    await expect(stage(dir, 'prod', 'set', 'corsOrigins=https://ok.example.org', 'throttleRateLimit=0')).rejects.toThrow(/'throttleRateLimit'.*from 1 to 10000/);
    await expect(stage(dir, 'prod', 'set', 'oidcAudience=abc')).rejects.toThrow(/'oidcAudience'.*set oidcIssuer too/);
    await expect(stage(dir, 'prod', 'set', 'stage=other')).rejects.toThrow(/'stage' is not a stack option/);
    await expect(stage(dir, 'prod', 'set', 'corsorigins=https://a.example.org')).rejects.toThrow(/'corsorigins' is not a stack option/);
    await expect(stage(dir, 'Prod!', 'set', 'throttleRateLimit=5')).rejects.toThrow(/'stage'/);
    expect(readFileSync(stageSettingsFile('prod', dir), 'utf8')).toBe(before);
  });

  it('keep text that looks like a number as text, and refuse values in double quotes', async () => {
    const dir = scratch();
    await stage(dir, 'prod', 'set', 'oidcIssuer=https://login.example.org', 'oidcAudience=123456789', 'presignSeconds=1200');
    expect(readStageSettings('prod', dir)).toEqual({ oidcIssuer: 'https://login.example.org', oidcAudience: '123456789', presignSeconds: '1200' });
    const { config } = createMlHubApp({ context: { ...NO_BUNDLING, stage: 'prod' }, env: {}, stageSettingsDir: dir });
    expect(config).toMatchObject({ oidcAudience: '123456789', presignSeconds: 1200 });
    await expect(stage(dir, 'prod', 'set', 'oidcAudience="123456789"')).rejects.toThrow(/oidcAudience: give the value without double quotes/);
    await expect(stage(dir, 'prod', 'set', 'modelBackends={"PyTorch": ')).rejects.toThrow(/modelBackends: not valid JSON/);
    expect(readStageSettings('prod', dir).oidcAudience).toBe('123456789');
  });

  it('are changed one change at a time, so that changes made at once all land', async () => {
    const dir = scratch();
    // Each change reads the file, waits, then writes: without the lock, the later write would drop the earlier change.
    const change = (option: 'presignSeconds' | 'logRetentionDays' | 'noncurrentVersionDays', value: string) => withStageLock('prod', async () => {
      const settings = readStageSettings('prod', dir);
      await sleep(40);
      writeStageSettings('prod', { ...settings, [option]: value }, dir);
    }, dir);
    await Promise.all([change('presignSeconds', '1200'), change('logRetentionDays', '30'), change('noncurrentVersionDays', '7')]);
    expect(readStageSettings('prod', dir)).toEqual({ presignSeconds: '1200', logRetentionDays: '30', noncurrentVersionDays: '7' });
  });

  it('are the only place for options: cdk.json holding one stops synthesis, naming it', () => {
    expect(() => createMlHubApp({ context: { ...NO_BUNDLING, presignSeconds: '600' }, env: {}, stageSettingsDir: scratch(), committedContext: { presignSeconds: 600 } }))
      .toThrow(/cdk\.json's context holds the stack option 'presignSeconds'/);
  });

  it('stop a deploy when the file is not valid, naming the file and the problem', () => {
    const dir = scratch();
    const deployWith = (text: string) => {
      writeFileSync(stageSettingsFile('prod', dir), text);
      return () => createMlHubApp({ context: { ...NO_BUNDLING, stage: 'prod' }, env: {}, stageSettingsDir: dir });
    };
    expect(deployWith('{"corsOrigins": ')).toThrow(StageSettingsError);
    expect(deployWith('{"corsOrigins": ')).toThrow(/prod\.json: not valid JSON/);
    expect(deployWith('["corsOrigins"]')).toThrow(/expected a JSON object of stack options/);
    expect(deployWith('{"stage": "prod"}')).toThrow(/'stage' is given by the file's name/);
    expect(deployWith('{"throttle": 5}')).toThrow(/'throttle' is not a stack option/);
    expect(deployWith('{"maxBundleBytes": "lots"}')).toThrow(/prod\.json: Invalid stack option 'maxBundleBytes'/);
  });
});

describe('the README deploy guide', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Deploy to AWS');
  const deploySection = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...deploySection.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);
  const stageCommands = blocks.flatMap(shellCommands).filter((words) => words.slice(0, 4).join(' ') === 'npm run stage --');

  it('deploys with saved options, never with -c options that the next deploy would forget', () => {
    const deploys = blocks.flatMap(shellCommands).filter((words) => words[0] === 'npx' && words[1] === 'cdk');
    expect(deploys.length).toBeGreaterThan(0);
    for (const words of deploys) expect(words.filter((word) => word.includes('=') && word !== 'stage=prod'), words.join(' ')).toEqual([]);
  });

  it('never tells to give a stack option with -c, which the next deploy would forget', () => {
    for (const option of STACK_OPTIONS.filter((name) => name !== 'stage')) expect(deploySection, option).not.toContain(`-c ${option}=`);
  });

  it('gives examples that compose: run in order, every option they set is in the stage a deploy builds', async () => {
    expect(stageCommands.length).toBeGreaterThanOrEqual(3);
    const dir = scratch();
    const expected = new Map<StackOption, string>();
    for (const words of stageCommands) {
      await stage(dir, ...words.slice(4));
      for (const assignment of words.slice(6)) {
        const at = assignment.indexOf('=');
        expected.set(assignment.slice(0, at) as StackOption, assignment.slice(at + 1));
      }
    }
    const stages = new Set(stageCommands.map((words) => words[4]));
    expect([...stages]).toEqual(['prod']);
    const { config, unsavedOptions } = createMlHubApp({ context: { ...NO_BUNDLING, stage: 'prod' }, env: {}, stageSettingsDir: dir });
    expect(unsavedOptions).toEqual([]);
    expect(expected.has('corsOrigins') && expected.has('modelBackends')).toBe(true);
    for (const [option, raw] of expected) {
      expect(JSON.stringify(config[option]), option).toBe(JSON.stringify(parseStackOption(option, raw.trim().startsWith('{') ? JSON.parse(raw) : raw)));
    }
  });
});
