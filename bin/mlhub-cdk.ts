/** The CDK app `cdk.json` runs: `npx cdk synth`, `npx cdk deploy`. */
import { createMlHubApp } from '../lib/mlhub-app';

createMlHubApp();
