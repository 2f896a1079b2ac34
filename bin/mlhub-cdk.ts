/** The CDK app `cdk.json` runs: `npx cdk synth`, `npx cdk deploy`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_SETTINGS_DIR } from '../lib/config/stage-settings';
import { PROJECT_ROOT } from '../lib/functions/handler-bundling';
import { createMlHubApp } from '../lib/mlhub-app';

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
createMlHubApp({ stageSettingsDir: STAGE_SETTINGS_DIR, committedContext: cdkJson.context ?? {} });
