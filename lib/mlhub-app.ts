import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_CONFIG, isGiven, optionEnvName, parseStackOption, readStackConfig, STACK_OPTIONS, type StackConfig, type StackOption } from './config/stack-config';
import { readStageSettings, stageSettingsFile, type StageSettings } from './config/stage-settings';
import { MlHubStack, stackIdFor } from './mlhub-stack';

export interface MlHubAppOptions {
  /** Context values, as cdk.json and `-c` give them (the CLI passes its own through the environment). */
  readonly context?: Record<string, unknown>;
  /** Where `MLHUB_DEPLOY_*` options are read from. */
  readonly env?: NodeJS.ProcessEnv;
  /** The folder of saved stage options (`deploy/` for `cdk`; lib/config/stage-settings.ts). None: nothing is saved. */
  readonly stageSettingsDir?: string;
  /** cdk.json's context, which must hold no stack option: those are saved per stage. */
  readonly committedContext?: Record<string, unknown>;
}

export interface MlHubApp {
  readonly app: App;
  readonly stack: MlHubStack;
  readonly config: StackConfig;
  /** Options this deploy was given that its stage's saved options (or the defaults) would not give. */
  readonly unsavedOptions: readonly StackOption[];
}

const effective = (option: StackOption, raw: unknown): string => {
  try {
    return JSON.stringify(isGiven(raw) ? parseStackOption(option, raw) : DEFAULT_STACK_CONFIG[option]);
  } catch {
    return `invalid: ${JSON.stringify(raw)}`;
  }
};

/** Whether two raw values of an option configure the same thing (`a,b` and `["a","b"]` do). */
const sameValue = (option: StackOption, a: unknown, b: unknown): boolean => effective(option, a) === effective(option, b);

/**
 * The MLHub CDK app: one stack, configured from `-c` context, then `MLHUB_DEPLOY_*` environment
 * variables, then the stage's saved options (`deploy/<stage>.json`), then the defaults; checked by
 * cdk-nag's AwsSolutions rules on every synth, so an unacknowledged finding stops `cdk synth` and
 * `cdk deploy`. An option given only to this deploy is synthesized, with a warning that the next
 * deploy of the stage will not have it: the stage's file is what every deploy reads.
 */
export function createMlHubApp(options: MlHubAppOptions = {}): MlHubApp {
  const app = new App(options.context ? { context: options.context } : {});
  const env = options.env ?? process.env;
  const committed = options.committedContext ?? {};
  // cdk.json's context reaches the app mixed with -c, so an option there would pass for a -c one
  // and outrank the stage's file: options live per stage, in deploy/<stage>.json, only.
  const misplaced = STACK_OPTIONS.filter((option) => option in committed);
  if (misplaced.length > 0) {
    throw new Error(`cdk.json's context holds the stack option${misplaced.length > 1 ? 's' : ''} ${misplaced.map((option) => `'${option}'`).join(', ')}: save options per stage with npm run stage -- <stage> set <option>=<value> (deploy/<stage>.json), or give them with -c for one deploy`);
  }
  const given = (option: StackOption): unknown => app.node.tryGetContext(option) ?? env[optionEnvName(option)];
  const stage = isGiven(given('stage')) ? parseStackOption('stage', given('stage')) : DEFAULT_STACK_CONFIG.stage;
  const saved: StageSettings = options.stageSettingsDir === undefined ? {} : readStageSettings(stage, options.stageSettingsDir);
  const savedValue = (option: StackOption): unknown => (option === 'stage' ? undefined : saved[option]);
  const config = readStackConfig((option) => (isGiven(given(option)) ? given(option) : savedValue(option)));
  // Environment-agnostic: `cdk deploy` targets the account and region of the credentials in use,
  // and `cdk synth` needs none at all.
  const stack = new MlHubStack(app, stackIdFor(config.stage), {
    config,
    description: `MLHub (${config.stage}): store, version, share and run trained ML models`,
  });
  const unsavedOptions = STACK_OPTIONS.filter((option) => option !== 'stage'
    && isGiven(given(option))
    && !sameValue(option, given(option), savedValue(option)));
  if (options.stageSettingsDir !== undefined) {
    for (const option of unsavedOptions) {
      Annotations.of(stack).addWarningV2('mlhub:unsavedOption', `'${option}' was given to this deploy only: the next deploy of '${stage}' goes back to ${
        isGiven(savedValue(option)) ? `${JSON.stringify(savedValue(option))} from ${stageSettingsFile(stage, options.stageSettingsDir)}` : 'the default'
      }. Save it with: npm run stage -- ${stage} set ${option}=<value>`);
    }
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config, unsavedOptions };
}
