import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestedStack, Validations, type App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BUNDLING_STACKS, VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { createMlHubApp } from '../../../lib/mlhub-app';
import type { MlHubStack } from '../../../lib/mlhub-stack';
import { PROJECT_ROOT } from '../../../lib/functions/handler-bundling';

/** The feature flags and settings `cdk` itself would pass, so tests synthesize what deploys. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

export interface ValidationViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
}

export interface ValidationReport {
  readonly pluginReports: readonly { readonly pluginName: string; readonly conclusion: string; readonly violations: readonly ValidationViolation[] }[];
}

export interface SynthesizedMlHub {
  readonly app: App;
  readonly stack: MlHubStack;
  readonly template: Template;
  /** The template of each nested stack, read when it was synthesized (nestedTemplateOf). */
  readonly nestedTemplates: ReadonlyMap<NestedStack, Template>;
  readonly assemblyDir: string;
  readonly validationReport: ValidationReport;
}

export interface SynthesizeOptions {
  /** Stack options, as `-c key=value` would give them. */
  readonly options?: Record<string, unknown>;
  /** Bundle the functions (slow); off, the stack is complete but its code assets are placeholders. */
  readonly bundling?: boolean;
}

/**
 * Synthesizes the app the way `cdk synth` does (cdk.json context, cdk-nag included), with no
 * `MLHUB_DEPLOY_*` variables read from this process. A cdk-nag finding left unacknowledged makes
 * it throw, with every finding in the message.
 */
export function synthesizeMlHub({ options = {}, bundling = true }: SynthesizeOptions = {}): SynthesizedMlHub {
  const context = { ...CDK_JSON_CONTEXT, ...options, ...(bundling ? {} : { [BUNDLING_STACKS]: [] }) };
  const { app, stack } = createMlHubApp({ context, env: {} });
  const assemblyDir = app.synth().directory;
  const validationReport = JSON.parse(readFileSync(join(assemblyDir, VALIDATION_REPORT_FILE), 'utf8')) as ValidationReport;
  // Read now: the apps of one test file share CDK_OUTDIR (test/support/cdk/outdir-per-file.ts), where a
  // later synth writes its nested templates under the same names (Template.fromStack would read those).
  const nestedTemplates = new Map(stack.node.findAll().filter((construct): construct is NestedStack => NestedStack.isNestedStack(construct))
    .map((nested) => [nested, Template.fromJSON(JSON.parse(readFileSync(join(assemblyDir, nested.templateFile), 'utf8')) as Record<string, unknown>)] as const));
  return { app, stack, template: Template.fromStack(stack), nestedTemplates, assemblyDir, validationReport };
}

/** A nested stack's template, as its synth wrote it. */
export function nestedTemplateOf(synth: Pick<SynthesizedMlHub, 'nestedTemplates'>, nested: NestedStack): Template {
  const template = synth.nestedTemplates.get(nested);
  if (!template) throw new Error(`No nested stack ${nested.node.path} in this synth`);
  return template;
}

export interface RecordedAcknowledgement {
  readonly constructPath: string;
  readonly id: string;
  readonly reason: string;
}

/** Every `Validations.of(x).acknowledge(...)` in the tree, where it was made. */
export function acknowledgementsIn(root: IConstruct): RecordedAcknowledgement[] {
  return root.node.findAll().flatMap((construct) => construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
      constructPath: construct.node.path,
      id: id.replace(/^annotation::/i, ''),
      reason,
    }))));
}
