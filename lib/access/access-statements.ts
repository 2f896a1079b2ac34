import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { BUNDLE_ROOT, modelPrefix } from '../../functions/bundles/bundle-keys';
import { DATASET_ROOT } from '../../functions/datasets/dataset-keys';
import { JOB_ROOT } from '../../functions/jobs/job-keys';
import { RATE_COUNTER_PREFIX } from '../../functions/rate-limits/dynamo-rate-counter-store';
import { SEARCH_PREFIX } from '../../functions/search/search-snapshots';
import { TABLE_DESIGN } from '../../functions/store/table-design';
import { USAGE_COUNTERS } from '../../functions/usage/usage-counters';
import type { AccessTarget, IndexTarget, RouteAccess } from './route-access';

/** `models/<any one name>/`: model names contain no "/", so its "*" spans exactly one name. */
export const ANY_MODEL_PREFIX = modelPrefix('*');

/** Every object under any model's prefix, and nothing else in the bucket. */
export const BUNDLE_OBJECTS_PATTERN = `${ANY_MODEL_PREFIX}*`;

/** Every dataset object (data, plain copy, layout), and nothing else in the bucket. */
export const DATASET_OBJECTS_PATTERN = `${DATASET_ROOT}*`;

/** Every object of every batch job (manifest, plan, parts, results), and nothing else in the bucket. */
export const JOB_OBJECTS_PATTERN = `${JOB_ROOT}*`;

/** Every object of the search index (snapshots, pointer), and nothing else in the bucket. */
export const SEARCH_OBJECTS_PATTERN = `${SEARCH_PREFIX}*`;

/** The concrete resources a route's access applies to. */
export interface AccessTargets {
  readonly tableArn: string;
  readonly bucketArn: string;
  /** Configured SageMaker endpoint ARN patterns; may be empty. */
  readonly modelEndpointArns: readonly string[];
  /** The stack's own user pool, by ARN; none (and so no grant) with an external issuer. */
  readonly userPoolArns?: readonly string[];
}

/** The table and the bundle bucket, as the stack built them or as a nested stack imports them (lib/jobs/mlhub-jobs.ts). */
export interface StorageRefs {
  readonly table: ITable;
  readonly bundleBucket: IBucket;
}

/** Access targets, with the bucket's ARN written as cdk-nag names it in its findings. */
export type NamedAccessTargets = AccessTargets & { readonly bucketArnInFindings: string };

/**
 * The stack's storage as access targets, with the bucket's ARN as cdk-nag writes it: `<LogicalId.Arn>`
 * for the bucket the stack built; for one imported from a parameter, `bucketArnInFindings`
 * (`<ParameterName>`, as cdk-nag writes a Ref).
 */
export function storageAccessTargets(storage: StorageRefs, modelEndpointArns: readonly string[], bucketArnInFindings?: string): NamedAccessTargets {
  const { table, bundleBucket } = storage;
  const built = bundleBucket.node.defaultChild as CfnBucket | undefined;
  const named = bucketArnInFindings ?? (built ? `<${Stack.of(bundleBucket).getLogicalId(built)}.Arn>` : undefined);
  if (!named) throw new Error('An imported bucket needs the name cdk-nag gives its ARN (bucketArnInFindings)');
  return {
    tableArn: table.tableArn,
    bucketArn: bundleBucket.bucketArn,
    modelEndpointArns,
    bucketArnInFindings: named,
  };
}

interface Scope {
  readonly resources: readonly string[];
  readonly conditions?: Record<string, Record<string, string | readonly string[]>>;
}

/** What a usage counter's UpdateItem names (functions/usage/dynamo-usage-counters.ts): its keys, its `kind`, the counters. */
const USAGE_COUNTER_ATTRIBUTES: readonly string[] = [TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey, 'kind', ...USAGE_COUNTERS];

const isIndexTarget = (target: AccessTarget): target is IndexTarget => target.endsWith('Index');

/** An index by its name, never `index/*`, so an index added later is not readable by default. */
function indexArn(target: IndexTarget, tableArn: string): string {
  const index = TABLE_DESIGN.indexes[target.slice(0, -'Index'.length) as keyof typeof TABLE_DESIGN.indexes];
  return `${tableArn}/index/${index.indexName}`;
}

function scopeOf(target: AccessTarget, targets: AccessTargets): Scope {
  if (isIndexTarget(target)) return { resources: [indexArn(target, targets.tableArn)] };
  switch (target) {
    case 'table':
      return { resources: [targets.tableArn] };
    case 'bundleRootListing':
      // StringEquals: a request for exactly this prefix, and for no other part of the bucket.
      return { resources: [targets.bucketArn], conditions: { StringEquals: { 's3:prefix': BUNDLE_ROOT } } };
    case 'bundleListing':
      return { resources: [targets.bucketArn], conditions: { StringLike: { 's3:prefix': ANY_MODEL_PREFIX } } };
    case 'bundleKeyLookup':
      // No condition, on purpose: see RouteAccess.bundleKeyLookup.
      return { resources: [targets.bucketArn] };
    case 'bundleObjects':
      return { resources: [`${targets.bucketArn}/${BUNDLE_OBJECTS_PATTERN}`] };
    case 'datasetObjects':
      return { resources: [`${targets.bucketArn}/${DATASET_OBJECTS_PATTERN}`] };
    case 'datasetListing':
      return { resources: [targets.bucketArn], conditions: { StringLike: { 's3:prefix': DATASET_OBJECTS_PATTERN } } };
    case 'jobObjects':
      return { resources: [`${targets.bucketArn}/${JOB_OBJECTS_PATTERN}`] };
    case 'jobListing':
      return { resources: [targets.bucketArn], conditions: { StringLike: { 's3:prefix': JOB_OBJECTS_PATTERN } } };
    case 'searchObjects':
      return { resources: [`${targets.bucketArn}/${SEARCH_OBJECTS_PATTERN}`] };
    case 'modelEndpoints':
      return { resources: targets.modelEndpointArns };
    case 'userPool':
      return { resources: targets.userPoolArns ?? [] };
    case 'usageCounters':
      // dynamodb:Attributes: every attribute the request names (keys included) must be one of these.
      return { resources: [targets.tableArn], conditions: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': USAGE_COUNTER_ATTRIBUTES } } };
    case 'rateLimitCounters':
      // Only items whose partition key is a rate counter's: DynamoDB checks the key of each request.
      return { resources: [targets.tableArn], conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': `${RATE_COUNTER_PREFIX}*` } } };
  }
}

const statementId = (target: AccessTarget): string => target.charAt(0).toUpperCase() + target.slice(1);

/**
 * One IAM statement per target the route touches. A target with no resources (SageMaker when no
 * endpoint is configured) yields no statement at all, never a wildcard.
 */
export function accessStatements(access: RouteAccess, targets: AccessTargets): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const [target, actions] of Object.entries(access) as [AccessTarget, readonly string[] | undefined][]) {
    if (!actions || actions.length === 0) continue;
    const scope = scopeOf(target, targets);
    if (scope.resources.length === 0) continue;
    statements.push(new PolicyStatement({
      sid: statementId(target),
      actions: [...actions],
      resources: [...scope.resources],
      ...(scope.conditions ? { conditions: scope.conditions } : {}),
    }));
  }
  return statements;
}

export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/**
 * The cdk-nag IAM5 (wildcard) findings a route's access raises by design, each with its reason.
 * cdk-nag names a resource by its template form, so the bucket's ARN appears as
 * `<LogicalId.Arn>` (or `<ParameterName>` in a nested stack: storageAccessTargets).
 */
export function accessAcknowledgements(access: RouteAccess, targets: NamedAccessTargets): Acknowledgement[] {
  const acknowledgements: Acknowledgement[] = [];
  if (access.bundleObjects?.length) {
    acknowledgements.push({
      id: `AwsSolutions-IAM5[Resource::${targets.bucketArnInFindings}/${BUNDLE_OBJECTS_PATTERN}]`,
      reason: `Bundle keys are made per model and version at run time (functions/bundles/bundle-keys.ts); ${BUNDLE_OBJECTS_PATTERN} is the narrowest pattern covering them and excludes the rest of the bucket`,
    });
  }
  if (access.datasetObjects?.length) {
    acknowledgements.push({
      id: `AwsSolutions-IAM5[Resource::${targets.bucketArnInFindings}/${DATASET_OBJECTS_PATTERN}]`,
      reason: `Dataset keys are made per dataset at run time (functions/datasets/dataset-keys.ts); ${DATASET_OBJECTS_PATTERN} covers the datasets' objects only`,
    });
  }
  if (access.jobObjects?.length) {
    acknowledgements.push({
      id: `AwsSolutions-IAM5[Resource::${targets.bucketArnInFindings}/${JOB_OBJECTS_PATTERN}]`,
      reason: `Job keys are made per job and chunk at run time (functions/jobs/job-keys.ts, outputs/job-output-keys.ts); ${JOB_OBJECTS_PATTERN} covers the jobs' objects only`,
    });
  }
  if (access.searchObjects?.length) {
    acknowledgements.push({
      id: `AwsSolutions-IAM5[Resource::${targets.bucketArnInFindings}/${SEARCH_OBJECTS_PATTERN}]`,
      reason: `Snapshot keys are made per snapshot at run time (functions/search/search-snapshots.ts); ${SEARCH_OBJECTS_PATTERN} covers the search index's objects only`,
    });
  }
  if (access.modelEndpoints?.length) {
    for (const arn of targets.modelEndpointArns.filter((pattern) => pattern.includes('*'))) {
      acknowledgements.push({
        id: `AwsSolutions-IAM5[Resource::${arn}]`,
        reason: 'An endpoint name pattern the deployer configured in modelBackends, limited to one account and region',
      });
    }
  }
  return acknowledgements;
}
