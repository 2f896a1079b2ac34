/**
 * `npm run stage -- <stage> [set <option>=<value>… | unset <option>…]` shows or changes the
 * options saved for a stage in deploy/<stage>.json, which every `cdk deploy -c stage=<stage>`
 * reads (lib/config/stage-settings.ts). Each value is checked as a deploy checks it, and the
 * file is written only when the whole stage's configuration is valid.
 */
import { Command } from 'commander';
import { DEFAULT_STACK_CONFIG, readStackConfig, STACK_OPTIONS, type StackOption } from './stack-config';
import { readStageSettings, STAGE_SETTINGS_DIR, stageSettingsFile, withStageLock, writeStageSettings, type StageSettings } from './stage-settings';

/**
 * A value as typed on the command line: JSON where it is a JSON object or list, else the text as
 * typed, which every option's parser reads as `-c` gives it (so an audience of `123456789` stays
 * text). Text in double quotes is refused: the quotes would become part of the value.
 */
function typedValue(option: StackOption, text: string): unknown {
  const trimmed = text.trim();
  if (/^".*"$/s.test(trimmed)) throw new Error(`${option}: give the value without double quotes (the shell's quotes are enough), got ${trimmed}`);
  if (/^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`${option}: not valid JSON (${(error as Error).message})`);
    }
  }
  return text;
}

function assignment(text: string): [StackOption, unknown] {
  const at = text.indexOf('=');
  const option = (at < 0 ? text : text.slice(0, at)).trim();
  if (at < 0) throw new Error(`'${text}' must be <option>=<value>`);
  if (!(STACK_OPTIONS as readonly string[]).includes(option) || option === 'stage') {
    throw new Error(`'${option}' is not a stack option; the options are ${STACK_OPTIONS.filter((name) => name !== 'stage').join(', ')}`);
  }
  return [option as StackOption, typedValue(option as StackOption, text.slice(at + 1))];
}

/** Every check a deploy makes, including those between options (an external issuer's audience…). */
function checkWhole(stage: string, settings: StageSettings): void {
  readStackConfig((option) => (option === 'stage' ? stage : settings[option as Exclude<StackOption, 'stage'>]));
}

function show(stage: string, dir: string): void {
  const settings = readStageSettings(stage, dir);
  const config = readStackConfig((option) => (option === 'stage' ? stage : settings[option as Exclude<StackOption, 'stage'>]));
  console.log(`${stageSettingsFile(stage, dir)}${Object.keys(settings).length === 0 ? ' (nothing saved: all defaults)' : ''}`);
  for (const option of STACK_OPTIONS) {
    const saved = option !== 'stage' && settings[option as Exclude<StackOption, 'stage'>] !== undefined;
    const isDefault = JSON.stringify(config[option]) === JSON.stringify(DEFAULT_STACK_CONFIG[option]);
    const origin = option === 'stage' ? 'file name' : saved ? 'saved' : isDefault ? 'default' : 'follows from the saved options';
    console.log(`  ${option} = ${JSON.stringify(config[option]) ?? '(none)'}  (${origin})`);
  }
}

/** Runs one command line (the words after `npm run stage --`). Throws CommanderError for usage, other errors for refused values. */
export async function runStageCommand(argv: readonly string[]): Promise<void> {
  const program = new Command('stage')
    .description("Show or change a stage's saved deploy options (deploy/<stage>.json)")
    .argument('<stage>', 'the stage, as `cdk deploy -c stage=<stage>` names it')
    .argument('[action]', "'set' or 'unset'; none shows the stage's options")
    .argument('[items...]', 'set: <option>=<value>…; unset: <option>…')
    .option('--settings-dir <dir>', 'where the stage files live', STAGE_SETTINGS_DIR)
    .exitOverride()
    .action(async (stage: string, action: string | undefined, items: string[], flags: { settingsDir: string }) => {
      checkWhole(stage, {});
      const dir = flags.settingsDir;
      if (action === undefined) return show(stage, dir);
      if (action !== 'set' && action !== 'unset') throw new Error(`unknown action '${action}': use set or unset`);
      if (items.length === 0) throw new Error(`${action} needs at least one ${action === 'set' ? '<option>=<value>' : '<option>'}`);
      const file = await withStageLock(stage, () => {
        const settings: Record<string, unknown> = { ...readStageSettings(stage, dir) };
        for (const item of items) {
          if (action === 'set') {
            const [option, value] = assignment(item);
            settings[option] = value;
          } else {
            delete settings[assignment(`${item}=`)[0]];
          }
        }
        checkWhole(stage, settings);
        return writeStageSettings(stage, settings, dir);
      }, dir);
      console.log(`Saved ${file}. Every deploy of this stage reads it: npx cdk deploy -c stage=${stage}`);
    });
  await program.parseAsync([...argv], { from: 'user' });
}
