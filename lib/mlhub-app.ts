import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { optionEnvName, readStackConfig, type StackConfig } from './config/stack-config';
import { MlHubStack, stackIdFor } from './mlhub-stack';

export interface MlHubAppOptions {
  /** Context values, as cdk.json and `-c` give them (the CLI passes its own through the environment). */
  readonly context?: Record<string, unknown>;
  /** Where `MLHUB_DEPLOY_*` options are read from. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface MlHubApp {
  readonly app: App;
  readonly stack: MlHubStack;
  readonly config: StackConfig;
}

/**
 * The MLHub CDK app: one stack, configured from context or environment, checked by cdk-nag's
 * AwsSolutions rules on every synth, so an unacknowledged finding stops `cdk synth` and `cdk deploy`.
 */
export function createMlHubApp(options: MlHubAppOptions = {}): MlHubApp {
  const app = new App(options.context ? { context: options.context } : {});
  const env = options.env ?? process.env;
  const config = readStackConfig((option) => app.node.tryGetContext(option) ?? env[optionEnvName(option)]);
  // Environment-agnostic: `cdk deploy` targets the account and region of the credentials in use,
  // and `cdk synth` needs none at all.
  const stack = new MlHubStack(app, stackIdFor(config.stage), {
    config,
    description: `MLHub (${config.stage}): store, version, share and run trained ML models`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
