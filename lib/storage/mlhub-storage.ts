import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership, type CorsRule } from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { BUNDLE_BUCKET_CORS } from '../../functions/bundles/bucket-cors';
import { ALL_INDEXES, TABLE_DESIGN } from '../../functions/store/table-design';
import { SEARCH_PREFIX } from '../../functions/search/search-snapshots';

export interface MlHubStorageProps {
  readonly removalPolicy: RemovalPolicy;
  /** Browser origins that may use presigned URLs on the bundle bucket; none means no CORS rule. */
  readonly corsOrigins: readonly string[];
  readonly noncurrentVersionDays: number;
  /** Days S3 server access logs are kept in the access-log bucket; undefined: kept for ever. */
  readonly accessLogDays?: number;
  /**
   * Give the table a stream (NEW_AND_OLD_IMAGES), for catalogue functions with a table-stream
   * trigger; none otherwise, since a stream nobody reads is only cost. Off by default.
   */
  readonly tableStream?: boolean;
}

/** Private, encrypted, TLS-only: the settings every MLHub bucket shares. */
const PRIVATE_BUCKET = {
  encryption: BucketEncryption.S3_MANAGED,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
} as const;

/** The bundle bucket's CORS rule for the configured origins (functions/bundles/bucket-cors.ts). */
function presignedUrlCors(origins: readonly string[]): CorsRule[] | undefined {
  if (origins.length === 0) return undefined;
  return [{
    allowedOrigins: [...origins],
    allowedMethods: BUNDLE_BUCKET_CORS.allowedMethods.map((method) => HttpMethods[method]),
    allowedHeaders: [...BUNDLE_BUCKET_CORS.allowedHeaders],
    exposedHeaders: [...BUNDLE_BUCKET_CORS.exposedHeaders],
    maxAge: BUNDLE_BUCKET_CORS.maxAgeSeconds,
  }];
}

/** MLHub's state: the metadata table (from the shared table design, with a stream when asked) and the bundle bucket. */
export class MlHubStorage extends Construct {
  readonly table: Table;
  readonly bundleBucket: Bucket;
  readonly accessLogBucket: Bucket;

  constructor(scope: Construct, id: string, props: MlHubStorageProps) {
    super(scope, id);
    // The log bucket forbids ACLs, so S3 logging must be let in by bucket policy, whatever cdk.json says.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const retained = props.removalPolicy === RemovalPolicy.RETAIN;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_DESIGN.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_DESIGN.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // A table that must outlive the stack must also resist a stray delete; a disposable one must not.
      deletionProtection: retained,
      // Personal access tokens (functions/tokens/dynamo-token-store.ts) and rate counters
      // (functions/rate-limits/dynamo-rate-counter-store.ts) carry their expiry here; DynamoDB sweeps them.
      timeToLiveAttribute: TABLE_DESIGN.timeToLiveAttribute,
      ...(props.tableStream ? { stream: StreamViewType.NEW_AND_OLD_IMAGES } : {}),
      removalPolicy: props.removalPolicy,
    });
    for (const index of ALL_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.accessLogBucket = new Bucket(this, 'AccessLogBucket', {
      ...PRIVATE_BUCKET,
      // Logs are kept as long as the other logs of the stack (logRetentionDays), then S3 removes them.
      ...(props.accessLogDays !== undefined ? { lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays) }] } : {}),
      removalPolicy: props.removalPolicy,
    });

    this.bundleBucket = new Bucket(this, 'BundleBucket', {
      ...PRIVATE_BUCKET,
      // Deleting a model leaves delete markers; its bytes stay recoverable for noncurrentVersionDays.
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'bundle-bucket/',
      cors: presignedUrlCors(props.corsOrigins),
      lifecycleRules: [
        // Parts of an upload never completed (abandoned, or its session expired after a day) cost
        // storage and are listed nowhere; S3 removes them. A session never outlives this.
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays),
          // Once its versions are gone, a deleted object's marker is clutter.
          expiredObjectDeleteMarker: true,
        },
        // The search index's snapshots are rewritten every few minutes and can be rebuilt from the
        // table: their old versions (and the pointer's) are kept a day, not noncurrentVersionDays.
        { id: 'expire-noncurrent-search-snapshots', prefix: SEARCH_PREFIX, noncurrentVersionExpiration: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy,
    });
  }
}
