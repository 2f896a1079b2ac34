import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../functions/handler-bundling';
import { parseStackOption, STACK_OPTIONS, type StackOption } from './stack-config';

/**
 * Where each stage's saved options live: `deploy/<stage>.json`, committed with the code, so that
 * every `cdk deploy -c stage=<stage>` builds the same stack without repeating its `-c` options.
 */
export const STAGE_SETTINGS_DIR = join(PROJECT_ROOT, 'deploy');

/** A stage's saved options, keyed by option name, each value as `-c` or cdk.json would give it. */
export type StageSettings = Partial<Record<Exclude<StackOption, 'stage'>, unknown>>;

export class StageSettingsError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'StageSettingsError';
  }
}

export const stageSettingsFile = (stage: string, dir: string = STAGE_SETTINGS_DIR): string => join(dir, `${stage}.json`);

const isOption = (key: string): key is StackOption => (STACK_OPTIONS as readonly string[]).includes(key);

/** Checks a settings document: a JSON object of known options (not `stage`, which the file name gives), each valid. */
export function checkStageSettings(file: string, document: unknown): StageSettings {
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new StageSettingsError(file, 'expected a JSON object of stack options, such as {"corsOrigins": ["https://app.example.org"]}');
  }
  for (const [key, value] of Object.entries(document)) {
    if (key === 'stage') throw new StageSettingsError(file, "'stage' is given by the file's name; remove it");
    if (!isOption(key)) throw new StageSettingsError(file, `'${key}' is not a stack option; the options are ${STACK_OPTIONS.filter((option) => option !== 'stage').join(', ')}`);
    try {
      parseStackOption(key, value);
    } catch (error) {
      throw new StageSettingsError(file, (error as Error).message);
    }
  }
  return document as StageSettings;
}

/** A stage's saved options, or none when it has no file. Throws StageSettingsError for a file that is not valid. */
export function readStageSettings(stage: string, dir: string = STAGE_SETTINGS_DIR): StageSettings {
  const file = stageSettingsFile(stage, dir);
  if (!existsSync(file)) return {};
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StageSettingsError(file, `not valid JSON (${(error as Error).message})`);
  }
  return checkStageSettings(file, document);
}

/** Saves a stage's options, keys sorted so that diffs stay small; written whole, then renamed into place. */
export function writeStageSettings(stage: string, settings: StageSettings, dir: string = STAGE_SETTINGS_DIR): string {
  const file = stageSettingsFile(stage, dir);
  checkStageSettings(file, settings);
  const sorted = Object.fromEntries(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b)));
  mkdirSync(dir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(sorted, null, 2)}\n`);
  renameSync(temporary, file);
  return file;
}

/** How long a change waits for another one to the same stage before giving up, in ms. */
const LOCK_WAIT_MS = 10_000;

/**
 * Runs a read-change-write of a stage's file while holding `<file>.lock` (created exclusively),
 * so that two `npm run stage` at once both land instead of one overwriting the other. Throws
 * StageSettingsError after LOCK_WAIT_MS, naming the lock file to remove if no change is running.
 */
export async function withStageLock<T>(stage: string, change: () => T | Promise<T>, dir: string = STAGE_SETTINGS_DIR): Promise<T> {
  const lock = `${stageSettingsFile(stage, dir)}.lock`;
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) throw new StageSettingsError(lock, 'another npm run stage has been changing this stage for 10 s; if none is running, remove this lock file');
      await sleep(25);
    }
  }
  try {
    return await change();
  } finally {
    rmSync(lock, { force: true });
  }
}
