import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from '../../functions/bundles/bundle-limits';
import { S3BundleStore } from '../../functions/bundles/s3-bundle-store';
import { watchTableChanges } from '../../functions/store/table-changes';
import { DynamoOffboardedUsers } from '../../functions/offboarding/offboarded-users';
import { DynamoModelStore } from '../../functions/registry/dynamo-model-store';
import { ModelRegistry } from '../../functions/registry/model-registry';
import { ModelRemoval } from '../../functions/registry/model-removal';
import { DirectUpload } from '../../functions/versions/direct-upload';
import { DynamoUploadSessionStore } from '../../functions/versions/dynamo-upload-session-store';
import { DynamoVersionStore } from '../../functions/versions/dynamo-version-store';
import { PendingSweep } from '../../functions/versions/pending-sweep';
import { ReadyVersions } from '../../functions/versions/ready-versions';
import { UploadSessions } from '../../functions/versions/upload-sessions';
import { VersionFinalizer } from '../../functions/versions/version-finalizer';
import { VersionRemoval } from '../../functions/versions/version-removal';
import type { UploadLimits } from '../../functions/platform/function-config';
import { startDynamoServer, type EmbeddedServer } from '../../local/dynamodb-server';
import { ensureTable } from '../../local/provision';
import { LOCAL_S3_CREDENTIALS, startS3Server, type LocalS3Server } from '../../local/s3-server';

/** The table the embedded stores use (a local event dispatcher listens to it by name). */
export const EMBEDDED_TABLE = 'mlhub-test';
const TABLE = EMBEDDED_TABLE;
const BUCKET = 'mlhub-test-bundles';
const region = 'us-east-1';

/**
 * The registry over real DynamoDB and S3 wire protocols (dynalite and s3rver, in this process),
 * for domain tests that need no HTTP. The S3 server can be stopped and restarted on the same
 * port and directory to play an outage.
 */
export interface EmbeddedStores {
  readonly registry: ModelRegistry;
  readonly versions: ReadyVersions;
  readonly direct: DirectUpload;
  readonly removal: ModelRemoval;
  readonly versionRemoval: VersionRemoval;
  readonly uploads: UploadSessions;
  readonly finalizer: VersionFinalizer;
  readonly sweep: PendingSweep;
  readonly models: DynamoModelStore;
  readonly versionStore: DynamoVersionStore;
  readonly bundles: S3BundleStore;
  readonly sessionStore: DynamoUploadSessionStore;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly s3: S3Client;
  readonly bucket: string;
  /** Keys of every object in the bucket under a prefix. */
  objectKeys(prefix?: string): Promise<string[]>;
  /** Keys of the objects that hold bytes: without the empty markers of retired keys. */
  storedBytes(prefix?: string): Promise<string[]>;
  /** Sort keys of every item in a model's partition. */
  itemKeys(name: string): Promise<string[]>;
  stopS3(): Promise<void>;
  restartS3(): Promise<void>;
  close(): Promise<void>;
}

export const TEST_UPLOAD_LIMITS: UploadLimits = { maxBundleBytes: 64 * 1024 * 1024, presignSeconds: 300, sessionSeconds: 3600 };

export async function startEmbeddedStores(options: { now?: () => Date; uploadLimits?: UploadLimits; bundleLimits?: BundleLimits } = {}): Promise<EmbeddedStores> {
  const directory = await mkdtemp(join(tmpdir(), 'mlhub-s3-'));
  const dynamo: EmbeddedServer = await startDynamoServer({ host: '127.0.0.1' });
  let s3Server: LocalS3Server | undefined = await startS3Server({ directory, host: '127.0.0.1', buckets: [BUCKET] });
  const s3Port = Number(new URL(s3Server.endpoint).port);

  const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: LOCAL_S3_CREDENTIALS });
  await ensureTable(dynamoClient, TABLE);
  const documents = DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true } });
  // As createDocumentClient does: reports changes to a local event dispatcher, when one is attached.
  watchTableChanges(documents);
  const s3 = new S3Client({
    endpoint: s3Server.endpoint, region, forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', maxAttempts: 1,
  });
  const models = new DynamoModelStore(documents, TABLE);
  const bundles = new S3BundleStore(s3, BUCKET);
  const offboarded = new DynamoOffboardedUsers(documents, TABLE);
  const registry = new ModelRegistry(models, { ...(options.now ? { now: options.now } : {}), isOffboarded: (user) => offboarded.has(user) });
  const versionStore = new DynamoVersionStore(documents, TABLE);
  const sessionStore = new DynamoUploadSessionStore(documents, TABLE);
  const clock = options.now ? { now: options.now } : {};
  const versions = new ReadyVersions({ models, versions: versionStore, bundles });
  const finalizer = new VersionFinalizer({ models, versions: versionStore, sessions: sessionStore, bundles, bundleLimits: options.bundleLimits ?? DEFAULT_BUNDLE_LIMITS });
  const direct = new DirectUpload({ models, versions: versionStore, bundles, finalizer, bundleLimits: DEFAULT_BUNDLE_LIMITS, ...clock });
  const versionRemoval = new VersionRemoval({ models, versions: versionStore, sessions: sessionStore, bundles, ...clock });
  const uploadLimits = options.uploadLimits ?? TEST_UPLOAD_LIMITS;
  const removal = new ModelRemoval({ models, bundles, versions: versionRemoval, urlLifetimeMs: (uploadLimits.sessionSeconds + uploadLimits.presignSeconds) * 1000, ...clock });
  const uploads = new UploadSessions({ models, versions: versionStore, sessions: sessionStore, bundles, finalizer, limits: options.uploadLimits ?? TEST_UPLOAD_LIMITS });
  const sweep = new PendingSweep({ removal, versions: versionStore, sessions: sessionStore, bundles, finalizer });

  return {
    registry,
    versions,
    direct,
    removal,
    versionRemoval,
    uploads,
    finalizer,
    sweep,
    models,
    versionStore,
    bundles,
    sessionStore,
    documents,
    tableName: TABLE,
    s3,
    bucket: BUCKET,
    async objectKeys(prefix = '') {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
    },
    async storedBytes(prefix = '') {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
      return (listed.Contents ?? []).filter((object) => (object.Size ?? 0) > 0).map((object) => object.Key ?? '').sort();
    },
    async itemKeys(name) {
      const result = await documents.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': `MODEL#${name}` }, ConsistentRead: true }));
      return (result.Items ?? []).map((item) => String(item.SK));
    },
    async stopS3() {
      await s3Server?.close();
      s3Server = undefined;
    },
    async restartS3() {
      s3Server = await startS3Server({ directory, host: '127.0.0.1', port: s3Port, buckets: [BUCKET] });
    },
    async close() {
      await s3Server?.close();
      await dynamo.close();
      dynamoClient.destroy();
      s3.destroy();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A clock that moves one second per reading, so creation order is unambiguous. */
export function steppingClock(start = Date.UTC(2026, 0, 1)): () => Date {
  let tick = 0;
  return () => new Date(start + 1000 * tick++);
}
