/**
 * ROUTE_ACCESS and CATALOGUE_ACCESS, checked against the calls the code really makes:
 * each route's domain operation runs over the real DynamoDB and S3 stores (dynalite and s3rver),
 * every SDK command is recorded (presigned URLs included, since a URL acts with the signer's
 * permission), translated into the IAM action S3 or DynamoDB authorizes it as, and the set must be
 * exactly what the function is granted: nothing called without a grant, no grant never called.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { USAGE_SORT_KEY } from '../../functions/registry/table-keys';
import { USAGE_COUNTERS } from '../../functions/usage/usage-counters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { citableModel } from '../../functions/citations/citable-model';
import { BUNDLE_ROOT, newBundleKey } from '../../functions/bundles/bundle-keys';
import { S3BundleStore } from '../../functions/bundles/s3-bundle-store';
import { userActor } from '../../functions/identity/actor';
import { TABLE_DESIGN } from '../../functions/store/table-design';
import { SearchChangeLog } from '../../functions/search/search-change-log';
import { SearchIndexer } from '../../functions/search/search-indexer';
import { SEARCH_PREFIX, SearchSnapshots } from '../../functions/search/search-snapshots';
import { arrayEngineKind } from '../support/array-search-engine';
import { PendingSweep } from '../../functions/versions/pending-sweep';
import { UploadSessions, type SessionStatus } from '../../functions/versions/upload-sessions';
import { DynamoRateCounterStore, RATE_COUNTER_PREFIX } from '../../functions/rate-limits/dynamo-rate-counter-store';
import { RateLimiter } from '../../functions/rate-limits/rate-limiter';
import { parseRateLimitPolicy } from '../../functions/rate-limits/rate-limit-policy';
import { functionsTriggeredBy } from '../../functions/catalogue/function-catalogue';
import { catalogueAccess } from '../../lib/access/event-access';
import { RATE_LIMIT_ACCESS } from '../../lib/access/rate-limit-access';
import { FINALIZE_ACCESS, routeAccess, type AccessTarget, type RouteAccess } from '../../lib/access/route-access';
import type { DoiRecordStore, StoredDoi } from '../../functions/publishing/doi-record-store';
import { LOCAL_DOI_PREFIX, localDoiProvider } from '../../functions/publishing/local-datacite';
import { VersionPublishing } from '../../functions/publishing/version-publishing';
import { PredictedVersions } from '../../functions/frameworks/predicted-versions';
import { DynamoJobStore } from '../../functions/jobs/dynamo-job-store';
import { cancelJob, loadOwnJob } from '../../functions/jobs/job-creation';
import { newJobId, type JobRecord } from '../../functions/jobs/job-records';
import { loadAuthorizedDataset } from '../../functions/datasets/authorized-dataset';
import { DatasetFinalizer } from '../../functions/datasets/dataset-finalizer';
import { DATASET_ROOT, datasetDataKey } from '../../functions/datasets/dataset-keys';
import { listOwnDatasets } from '../../functions/datasets/dataset-listing';
import { removeDataset } from '../../functions/datasets/dataset-removal';
import { DatasetUploads, type DatasetUploadStatus } from '../../functions/datasets/dataset-uploads';
import { DynamoDatasetStore } from '../../functions/datasets/dynamo-dataset-store';
import { startEmbeddedStores, TEST_UPLOAD_LIMITS, type EmbeddedStores } from '../support/embedded-stores';
import { DynamoUsageCounters } from '../../functions/usage/dynamo-usage-counters';
import { UsageRecorder } from '../../functions/usage/usage-recorder';
import { makeTar, sampleBundle } from '../support/tarballs';

interface Call {
  readonly service: 'dynamodb' | 's3';
  readonly command: string;
  readonly input: Record<string, unknown>;
  failure?: string;
}

const owner = userActor('ada', 'session');
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
let stores: EmbeddedStores;
let bundles: S3BundleStore;
let calls: Call[] = [];
let counter = 0;

/**
 * Records every command a client sends or presigns, before it is sent.
 *
 * The stack's bundle bucket keeps versions (lib/storage/mlhub-storage.ts) and the local S3 does
 * not, so S3's answers to HeadObject get the version id a versioned bucket would give: the pins
 * the code takes from them then name a version, and pinned reads go out exactly as they do in
 * the cloud, which S3 authorizes differently (s3:GetObjectVersion). s3rver serves the current
 * object for a request that names a version, which here is the only one.
 */
function recordCalls(client: S3Client | DynamoDBDocumentClient, service: Call['service']): void {
  (client as S3Client).middlewareStack.add((next, context) => async (args) => {
    const call: Call = { service, command: String(context.commandName).replace(/Command$/, ''), input: args.input as Record<string, unknown> };
    calls.push(call);
    try {
      const result = await next(args);
      const output = result.output as { ETag?: string; VersionId?: string } | undefined;
      if (call.command === 'HeadObject' && output && output.VersionId === undefined) output.VersionId = `version-of-${output.ETag ?? ''}`;
      return result;
    } catch (error) {
      call.failure = (error as Error).name;
      throw error;
    }
  }, { step: 'initialize', name: `mlhubAccessRecorder${service}` });
}

/** The commands of the document client and of DynamoDB itself, as IAM names them. */
const DYNAMODB_ACTIONS: Readonly<Record<string, string>> = {
  Get: 'GetItem', GetItem: 'GetItem', Put: 'PutItem', PutItem: 'PutItem', Update: 'UpdateItem', UpdateItem: 'UpdateItem',
  Delete: 'DeleteItem', DeleteItem: 'DeleteItem', Query: 'Query', BatchGet: 'BatchGetItem', BatchGetItem: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem', BatchWriteItem: 'BatchWriteItem', Scan: 'Scan',
};

/**
 * The action S3 authorizes each call as (https://docs.aws.amazon.com/AmazonS3/latest/API/), when
 * it names no object version; see grantsNeeded for those that do.
 */
const S3_OBJECT_ACTIONS: Readonly<Record<string, string>> = {
  HeadObject: 's3:GetObject',
  GetObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  DeleteObject: 's3:DeleteObject',
  DeleteObjects: 's3:DeleteObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  ListParts: 's3:ListMultipartUploadParts',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
};

const indexTarget = (indexName: string): AccessTarget => {
  const [key] = Object.entries(TABLE_DESIGN.indexes).find(([, index]) => index.indexName === indexName) ?? [];
  return (key ? `${key}Index` : `unknown index ${indexName}`) as AccessTarget;
};

/** `target action` pairs a call needs. */
function grantsNeeded(call: Call): string[] {
  if (call.service === 'dynamodb') {
    const action = DYNAMODB_ACTIONS[call.command] ?? `unmapped ${call.command}`;
    // Rate counters are granted apart, on their own partitions only (dynamodb:LeadingKeys).
    const partition = String((call.input.Key as Record<string, unknown> | undefined)?.[TABLE_DESIGN.partitionKey] ?? '');
    if (partition.startsWith(RATE_COUNTER_PREFIX)) return [`rateLimitCounters dynamodb:${action}`];
    // So are usage counters: an UpdateItem that names no attribute but the counters' (dynamodb:Attributes).
    const named = Object.values((call.input.ExpressionAttributeNames as Record<string, string> | undefined) ?? {});
    const sortKey = String((call.input.Key as Record<string, unknown> | undefined)?.[TABLE_DESIGN.sortKey] ?? '');
    if (action === 'UpdateItem' && sortKey === USAGE_SORT_KEY && named.every((name) => ['kind', ...USAGE_COUNTERS].includes(name))) return [`usageCounters dynamodb:${action}`];
    return [`${typeof call.input.IndexName === 'string' ? indexTarget(call.input.IndexName) : 'table'} dynamodb:${action}`];
  }
  if (call.command === 'ListObjectsV2') {
    const prefix = String(call.input.Prefix ?? '');
    if (prefix === BUNDLE_ROOT) return ['bundleRootListing s3:ListBucket'];
    if (/^datasets\/ds_[0-9a-f]{24}\/$/.test(prefix)) return ['datasetListing s3:ListBucket'];
    return [/^models\/[^/]+\/$/.test(prefix) ? 'bundleListing s3:ListBucket' : `listing outside one model: '${prefix}'`];
  }
  // A read of a named version needs s3:GetObjectVersion, and not s3:GetObject (GetObject, HeadObject: "Permissions").
  const versioned = call.input.VersionId !== undefined && (call.command === 'GetObject' || call.command === 'HeadObject');
  const action = versioned ? 's3:GetObjectVersion' : S3_OBJECT_ACTIONS[call.command];
  const key = String(call.input.Key ?? '');
  const keys = call.command === 'DeleteObjects' ? ((call.input.Delete as { Objects: { Key: string }[] }).Objects.map((object) => object.Key)) : [key];
  if (!action) return [`unmapped s3 ${call.command}`];
  if (keys.every((candidate) => candidate.startsWith(SEARCH_PREFIX))) return [`searchObjects ${action}`];
  // A missing key answers 404 only to a caller who may list the bucket; 403 otherwise.
  const missing = call.command === 'HeadObject' && call.failure === 'NotFound' ? ['bundleKeyLookup s3:ListBucket'] : [];
  if (keys.every((candidate) => candidate.startsWith(DATASET_ROOT))) return [`datasetObjects ${action}`, ...missing];
  if (keys.some((candidate) => !candidate.startsWith(BUNDLE_ROOT))) return [`object outside the bundle root: ${keys.join(', ')}`];
  return [`bundleObjects ${action}`, ...missing];
}

/** Runs the steps and returns the grants their calls needed. */
async function traced(steps: () => Promise<unknown>): Promise<string[]> {
  calls = [];
  await steps();
  return [...new Set(calls.flatMap(grantsNeeded))].sort();
}

const granted = (access: RouteAccess): string[] =>
  Object.entries(access).flatMap(([target, actions]) => (actions as string[]).map((action) => `${target} ${action}`)).sort();

/** What the handler wrapper adds for a signed-in caller: looking up a personal access token. */
const TOKEN_LOOKUP = ['table dynamodb:GetItem'];

const union = (...lists: string[][]): string[] => [...new Set(lists.flat())].sort();

async function newModel(): Promise<string> {
  const name = `traced-${(counter += 1)}`;
  await stores.registry.createModel(owner, name, { type: 'onnx' });
  return name;
}

/** A valid bundle of a little over one 8 MiB part, so that it travels as a multipart upload. */
const largeBundle = async (): Promise<Buffer> =>
  gzipSync(await makeTar([{ name: 'm/', type: 'directory' }, { name: 'm/model.onnx', content: randomBytes(9 * 1024 * 1024) }]), { level: 1 });

/** PUTs every part (or the single object) to its URL, with the headers signed into it. */
async function sendAll(status: SessionStatus, bundle: Buffer): Promise<void> {
  const partSize = status.session.partSize ?? bundle.length;
  for (const { number, url, headers } of status.urls) {
    const response = await fetch(url, { method: 'PUT', headers: { ...headers }, body: bundle.subarray((number - 1) * partSize, number * partSize) });
    expect(response.status).toBe(200);
  }
}

/**
 * The grants the finalizer needs meeting each of its outcomes: bytes not there yet, a bundle made
 * ready, one refused. Routes that run it (uploadBundle) may meet any of them, whichever path got
 * them there.
 */
async function finalizerOutcomes(): Promise<string[]> {
  const name = await newModel();
  const good = await sampleBundle();
  const early = await stores.uploads.start(owner, name, { size: good.length, sha256: sha(good) });
  const wrong = await stores.uploads.start(owner, name, { size: good.length, sha256: sha(Buffer.from('another bundle')) });
  return traced(async () => {
    expect(await stores.finalizer.finalize(name, early.session.version, 'traced:1')).toBe('pending');
    await sendAll(early, good);
    await sendAll(wrong, good);
    expect(await stores.finalizer.finalize(name, early.session.version, 'traced:2')).toBe('ready');
    expect(await stores.finalizer.finalize(name, wrong.session.version, 'traced:3')).toBe('rejected');
  });
}

const soon = () => Date.now() + 20_000;

const datasetStore = () => new DynamoDatasetStore(stores.documents, stores.tableName);
const datasetDeps = () => ({ datasets: datasetStore(), objects: bundles, finalizer: new DatasetFinalizer({ datasets: datasetStore(), objects: bundles, maxPlainBytes: 1024 ** 3 }) });
const datasetUploads = () => new DatasetUploads({ ...datasetDeps(), limits: TEST_UPLOAD_LIMITS });
const CSV = Buffer.from('a,b\n1,2\n3,4\n');

/** PUTs a dataset's bytes to every URL its upload was given. */
async function sendDataset(status: DatasetUploadStatus, bytes: Buffer): Promise<void> {
  const partSize = status.dataset.upload.partSize ?? bytes.length;
  for (const { number, url, headers } of status.urls) {
    expect((await fetch(url, { method: 'PUT', headers: { ...headers }, body: bytes.subarray((number - 1) * partSize, number * partSize) })).status).toBe(200);
  }
}

/** The usage counters as the download and predict handlers write them (functions/platform/usage-services.ts). */
const usage = () => new UsageRecorder(new DynamoUsageCounters(stores.documents, stores.tableName));

beforeAll(async () => {
  stores = await startEmbeddedStores();
  recordCalls(stores.documents, 'dynamodb');
  recordCalls(stores.s3, 's3');
  bundles = new S3BundleStore(stores.s3, stores.bucket);
}, 60_000);

afterAll(async () => {
  await stores?.close();
});

describe('access traced through the calls the code makes', () => {
  it('recognizes every call it records (the map of commands to IAM actions is complete)', async () => {
    const needed = await traced(async () => {
      const name = await newModel();
      await stores.uploads.start(owner, name, { size: 10 });
    });
    expect(needed.filter((grant) => /unmapped|unknown|outside/.test(grant))).toEqual([]);
    expect(needed.length).toBeGreaterThan(0);
  });

  it('createModel: a new name, a name taken, and the name of a deleted model taken over', async () => {
    const name = `traced-${(counter += 1)}`;
    const reused = await newModel();
    await stores.removal.deleteModel(owner, reused);
    const needed = await traced(async () => {
      await stores.registry.createModel(owner, name, { type: 'onnx' });
      await expect(stores.registry.createModel(owner, name, { type: 'onnx' })).rejects.toThrow(/already taken/);
      await stores.registry.createModel(owner, reused, { type: 'onnx' });
    });
    // Only its own access: what it also answers as (predictModel) is not exercised here.
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('createModel')));
  });

  it('createUpload: starting a single and a multipart upload, and aborting the version when S3 refuses', async () => {
    const name = await newModel();
    const needed = await traced(async () => {
      await stores.uploads.start(owner, name, { size: 1000 });
      const multipart = await stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 });
      expect(multipart.session.mode).toBe('multipart');
      await stores.stopS3();
      try {
        await expect(stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 })).rejects.toThrow();
      } finally {
        await stores.restartS3();
      }
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('createUpload')));
  });

  it('listUploads: a model\'s open sessions', async () => {
    const name = await newModel();
    await stores.uploads.start(owner, name, { size: 1000 });
    const needed = await traced(() => stores.uploads.list(owner, name));
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('listUploads')));
  });

  it('getUpload: the parts of a multipart upload, and whether a single PUT has arrived, each with fresh URLs', async () => {
    const name = await newModel();
    const multipart = await stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 });
    const single = await stores.uploads.start(owner, name, { size: 1000 });
    const needed = await traced(async () => {
      expect((await stores.uploads.status(owner, name, multipart.session.id)).urls.length).toBeGreaterThan(0);
      expect((await stores.uploads.status(owner, name, single.session.id)).received).toEqual([]);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('getUpload')));
  });

  it('completeUpload: before the PUT, a refused single bundle, and a multipart one made ready', async () => {
    const name = await newModel();
    const small = await sampleBundle();
    const single = await stores.uploads.start(owner, name, { size: small.length, sha256: sha(Buffer.from('another bundle')) });
    const large = await largeBundle();
    const multipart = await stores.uploads.start(owner, name, { size: large.length, sha256: sha(large) });
    expect(multipart.session.mode).toBe('multipart');
    await sendAll(multipart, large);
    const needed = await traced(async () => {
      await expect(stores.uploads.complete(owner, name, single.session.id, soon())).rejects.toThrow(/not been uploaded/);
      await sendAll(single, small);
      expect((await stores.uploads.complete(owner, name, single.session.id, soon())).status).toBe('rejected');
      expect((await stores.uploads.complete(owner, name, multipart.session.id, soon())).status).toBe('ready');
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('completeUpload')));
  }, 60_000);

  it('abortUpload: a multipart upload, a single one already sent, and one already ready (refused)', async () => {
    const name = await newModel();
    const multipart = await stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 });
    const small = await sampleBundle();
    const single = await stores.uploads.start(owner, name, { size: small.length });
    await sendAll(single, small);
    const done = await stores.uploads.start(owner, name, { size: small.length });
    await sendAll(done, small);
    expect((await stores.uploads.complete(owner, name, done.session.id, soon())).status).toBe('ready');
    const needed = await traced(async () => {
      await stores.uploads.abort(owner, name, multipart.session.id);
      await stores.uploads.abort(owner, name, single.session.id);
      await expect(stores.uploads.abort(owner, name, done.session.id)).rejects.toThrow(/already ended/);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('abortUpload')));
  });

  it('has a storage event for bundles and one for datasets, each traced below', () => {
    expect(functionsTriggeredBy('s3').map((fn) => fn.id)).toEqual(['finalizeUpload', 'finalizeDataset']);
  });

  it.each([['finalizeUpload']])('%s (a storage event): a bundle not there yet, one made ready, one refused, a late PUT to an ended version, bytes of no version', async (subscriptionId) => {
    const name = await newModel();
    const good = await sampleBundle();
    const bad = await sampleBundle('other');
    const first = await stores.uploads.start(owner, name, { size: good.length, sha256: sha(good) });
    const second = await stores.uploads.start(owner, name, { size: bad.length, sha256: sha(good) });
    // Ended without its key retired yet (a crash in between), so a URL kept from before still writes.
    const ended = await stores.uploads.start(owner, name, { size: good.length });
    expect(await stores.versionStore.transition(name, ended.session.version, ['pending'], { status: 'aborted', reason: 'traced', by: owner.id }, new Date().toISOString())).toBe(true);
    const stray = newBundleKey(name, 999);
    await bundles.put(stray, good, sha(good));
    const needed = await traced(async () => {
      expect(await stores.finalizer.finalizeKey(first.session.bundleKey, 'event:1')).toBe('pending');
      await sendAll(first, good);
      await sendAll(second, bad);
      await sendAll(ended, good);
      expect(await stores.finalizer.finalizeKey(first.session.bundleKey, 'event:2')).toBe('ready');
      expect(await stores.finalizer.finalizeKey(second.session.bundleKey, 'event:3')).toBe('rejected');
      expect(await stores.finalizer.finalizeKey(ended.session.bundleKey, 'event:4')).toBe('aborted');
      expect(await stores.finalizer.finalizeKey(stray, 'event:5')).toBe('missing');
    });
    // No token: storage events come from S3.
    expect(needed).toEqual(granted(catalogueAccess(subscriptionId)));
  }, 30_000);

  it('downloadBundle: a small bundle read, a large one signed, both pinned to the object the check read', async () => {
    const name = await newModel();
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    const needed = await traced(async () => {
      // Each served, with its usage counted beside it (functions/handlers/download-bundle.ts).
      await usage().counting(name, 'downloads', async () => {
        const { version } = await stores.versions.getBundle(owner, name);
        expect(version.pin?.versionId).toBeDefined();
        await bundles.presignDownload(version.bundleKey, 'bundle.tar.gz', 60, version.pin);
      });
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('downloadBundle')));
  });

  it('predictModel: the version looked up, its bundle opened and the prediction counted (SageMaker apart: not called locally)', async () => {
    const name = await newModel();
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    // A second model whose newest version waits for a deploy while the one before it is still being created.
    const deployed = await newModel();
    await stores.direct.addVersion(owner, deployed, { bytes: await sampleBundle() });
    await stores.direct.addVersion(owner, deployed, { bytes: await sampleBundle('other') });
    const endpoint = `mlhub-deploy-${deployed}-v1`;
    const at = new Date().toISOString();
    expect(await stores.versionStore.beginDeployment(deployed, 1, { state: 'creating', endpoint, framework: 'sklearn', image: 'image', memoryMb: 2048, maxConcurrency: 1, requestedAt: at, requestedBy: owner.id, updatedAt: at })).toBe('started');
    // As functions/platform/inference-services.ts wires it; SageMaker's DescribeEndpoint apart (granted with the endpoints).
    const predicted = new PredictedVersions({
      readyVersion: (actor, model, requested) => stores.versions.readyVersion(actor, model, requested),
      versions: stores.versionStore,
      deployer: { describe: async () => ({ state: 'in_service' as const }) },
      needsDeployment: () => true,
      now: () => new Date(),
    });
    const needed = await traced(async () => {
      // As functions/handlers/predict-model.ts: the ready version, then the inference (which opens the bundle) counted beside it.
      const { version } = await stores.versions.readyVersion(owner, name);
      await usage().counting(name, 'predictions', async () => {
        for await (const _chunk of await bundles.open(version.bundleKey)) { /* read through */ }
      });
      // The latest version not in service: the one before it, its deployment settled in passing.
      const fallback = await predicted.lookup(owner, deployed);
      expect([fallback.version.version, fallback.version.deployment?.state, fallback.latest]).toEqual([1, 'in_service', 2]);
    });
    const { modelEndpoints: _remote, ...local } = routeAccess('predictModel');
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(local));
    expect(routeAccess('predictModelWithGet')).toEqual(routeAccess('predictModel'));
  });

  it('uploadBundle: a direct upload, one aborted when S3 refuses the bytes, and the finalizer it runs', async () => {
    const name = await newModel();
    const direct = await traced(async () => {
      await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
      await stores.stopS3();
      try {
        await expect(stores.direct.addVersion(owner, name, { bytes: await sampleBundle() })).rejects.toThrow();
      } finally {
        await stores.restartS3();
      }
    });
    const finalizing = await finalizerOutcomes();
    expect(finalizing).toEqual(granted(FINALIZE_ACCESS));
    expect(union(TOKEN_LOOKUP, direct, finalizing)).toEqual(granted(routeAccess('uploadBundle')));
  }, 30_000);

  it('getVersion: a live version, and one that was deleted (410)', async () => {
    const name = await newModel();
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    await stores.versionRemoval.deleteVersion(owner, name, 2);
    const needed = await traced(async () => {
      expect((await stores.versions.version(owner, name, 1)).status).toBe('ready');
      await expect(stores.versions.version(owner, name, 2)).rejects.toThrow(/was deleted/);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('getVersion')));
  });

  it('citeModel: a model, a version in it, one that was deleted (410) and one that never was (404)', async () => {
    const name = await newModel();
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    await stores.versionRemoval.deleteVersion(owner, name, 2);
    const deps = { registry: stores.registry, models: stores.models, versions: stores.versions };
    const needed = await traced(async () => {
      expect((await citableModel(deps, owner, name, undefined)).versions.map((version) => version.version)).toEqual([1]);
      expect((await citableModel(deps, owner, name, 1)).model.name).toBe(name);
      await expect(citableModel(deps, owner, name, 2)).rejects.toThrow(/was deleted/);
      await expect(citableModel(deps, owner, name, 9)).rejects.toThrow(/has no version 9/);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('citeModel')));
  });

  it('deleteVersion: the latest ready version (latest moves back), and a pending multipart one', async () => {
    const name = await newModel();
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    const open = await stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 });
    const needed = await traced(async () => {
      expect((await stores.versionRemoval.deleteVersion(owner, name, 2)).status).toBe('deleted');
      expect((await stores.versionRemoval.deleteVersion(owner, name, open.session.version)).status).toBe('deleted');
    });
    expect((await stores.models.getModelRecord(name))?.latestVersion).toBe(1);
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('deleteVersion')));
  });

  it('deleteModel: a model with a version and an open upload', async () => {
    const name = await newModel();
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    await stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 });
    await usage().counting(name, 'downloads', async () => undefined);
    const counters = new DynamoUsageCounters(stores.documents, stores.tableName);
    expect(await counters.read(name)).toEqual({ downloads: 1, predictions: 0 });
    const needed = await traced(() => stores.removal.deleteModel(owner, name));
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('deleteModel')));
    // Its usage item went with its grants and sessions.
    expect(await counters.read(name)).toEqual({ downloads: 0, predictions: 0 });
  });

  it('publishVersion, registerDois, and the withdrawals deleteVersion and deleteModel make of versions with DOIs', async () => {
    const name = `traced-${(counter += 1)}`;
    await stores.registry.createModel(owner, name, { type: 'onnx', title: 'Traced', description: 'A model with DOIs', license: 'MIT', authors: [{ name: 'Ada Lovelace', role: 'creator' }] });
    for (let n = 0; n < 3; n += 1) await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    // DataCite is reached over HTTPS, not through the table: its DOIs are kept in memory here.
    const held = new Map<string, StoredDoi>();
    const memory: DoiRecordStore = {
      get: async (doi) => held.get(doi),
      put: async (record) => {
        held.set(record.doi, record);
      },
      delete: async (doi) => held.delete(doi),
    };
    const publishing = new VersionPublishing({
      models: stores.models, versions: stores.versionStore, provider: localDoiProvider(memory), prefix: LOCAL_DOI_PREFIX, publisher: 'MLHub', landingUrl: (model) => `https://mlhub.example/model/${model}`,
    });
    const requested = await traced(async () => {
      for (const n of [1, 2, 3]) expect((await publishing.request(owner, name, n)).state).toBe('publishing');
    });
    expect(union(TOKEN_LOOKUP, requested)).toEqual(granted(routeAccess('publishVersion')));
    const registered = await traced(async () => {
      for (const n of [1, 2]) expect((await publishing.advance(name, n))?.state).toBe('published');
    });
    const withdrawn = await traced(async () => {
      expect((await stores.versionRemoval.deleteVersion(owner, name, 1, 'traced')).publication?.state).toBe('withdrawn');
    });
    // A withdrawal is one of the paths a delete takes: it needs nothing the route is not granted.
    expect(withdrawn.filter((grant) => !granted(routeAccess('deleteVersion')).includes(grant))).toEqual([]);
    const hidden = await traced(async () => {
      expect((await publishing.advance(name, 1))?.hiddenAt).toEqual(expect.any(String));
    });
    expect(union(registered, hidden)).toEqual(granted(catalogueAccess('registerDois')));
    // v2 published, v3 still publishing: the model is withdrawn whole.
    const removed = await traced(() => stores.removal.deleteModel(owner, name));
    expect((await stores.models.getModelRecord(name))?.state).toBe('withdrawn');
    expect(removed.filter((grant) => !granted(routeAccess('deleteModel')).includes(grant))).toEqual([]);
    // A withdrawn model's withdrawn version still cites: read from the model's items, as any citation.
    const cited = await traced(async () => {
      expect((await citableModel({ registry: stores.registry, models: stores.models, versions: stores.versions }, owner, name, 1)).versions[0]?.publication?.state).toBe('withdrawn');
    });
    expect(cited.filter((grant) => !granted(routeAccess('citeModel')).includes(grant))).toEqual([]);
  });

  it.each(functionsTriggeredBy('schedule').map((fn) => [fn.id]))('%s (a schedule): expired uploads ended, stored bundles checked (ready, refused), one not there yet left', async (scheduleId) => {
    expect(scheduleId).toBe('sweepVersions');
    const name = await newModel();
    const good = await sampleBundle();
    // Sessions that expire a second after they start, beside the ordinary ones of an hour.
    const brief = new UploadSessions({ models: stores.models, versions: stores.versionStore, sessions: stores.sessionStore, bundles, finalizer: stores.finalizer, limits: { ...TEST_UPLOAD_LIMITS, sessionSeconds: 1 } });
    const expiredMultipart = await brief.start(owner, name, { size: 20 * 1024 * 1024 });
    const expiredSingle = await brief.start(owner, name, { size: good.length });
    const stored = await stores.uploads.start(owner, name, { size: good.length, sha256: sha(good) });
    const refused = await stores.uploads.start(owner, name, { size: good.length, sha256: sha(Buffer.from('another bundle')) });
    const waiting = await stores.uploads.start(owner, name, { size: good.length });
    await sendAll(stored, good);
    await sendAll(refused, good);
    // A model whose delete began and whose caller died: the sweep finishes it.
    const abandoned = await newModel();
    await stores.direct.addVersion(owner, abandoned, { bytes: good });
    await stores.uploads.start(owner, abandoned, { size: good.length });
    await stores.models.beginDelete(abandoned, new Date().toISOString());
    // Ten minutes on: past the brief sessions' expiry, well inside the ordinary ones'.
    // Datasets: one expired without its bytes (multipart), one stored (ready), one refused, and a mark whose record is gone.
    const later = () => new Date(Date.now() + 10 * 60_000);
    const briefDatasets = new DatasetUploads({ ...datasetDeps(), limits: { ...TEST_UPLOAD_LIMITS, sessionSeconds: 1 } });
    const expiredDataset = await briefDatasets.create(owner, { filename: 'big.csv', size: 20 * 1024 * 1024 });
    const storedDataset = await datasetUploads().create(owner, { filename: 'rows.csv', size: CSV.length });
    const refusedDataset = await datasetUploads().create(owner, { filename: 'rows.csv', size: CSV.length, sha256: '0'.repeat(64) });
    await sendDataset(storedDataset, CSV);
    await sendDataset(refusedDataset, CSV);
    const orphan = await briefDatasets.create(owner, { filename: 'orphan.csv', size: 10 });
    await stores.documents.send(new DeleteCommand({ TableName: stores.tableName, Key: { PK: `DATASET#${orphan.dataset.id}`, SK: 'META' } }));
    const sweep = new PendingSweep({
      removal: stores.removal, versions: stores.versionStore, sessions: stores.sessionStore, bundles, finalizer: stores.finalizer, now: later,
      datasets: { store: datasetStore(), finalizer: new DatasetFinalizer({ datasets: datasetStore(), objects: bundles, maxPlainBytes: 1024 ** 3, now: later }) },
    });
    const needed = await traced(() => sweep.sweep(Date.now() + 60_000));
    expect(await Promise.all([expiredDataset, storedDataset, refusedDataset].map(async (made) => (await datasetStore().get(made.dataset.id))?.status))).toEqual(['aborted', 'ready', 'rejected']);
    expect((await stores.models.getModelRecord(abandoned))?.state).toBe('deleted');
    const status = async (upload: SessionStatus) => (await stores.versionStore.get(name, upload.session.version))?.status;
    expect({
      expiredMultipart: await status(expiredMultipart), expiredSingle: await status(expiredSingle),
      stored: await status(stored), refused: await status(refused), waiting: await status(waiting),
    }).toEqual({ expiredMultipart: 'aborted', expiredSingle: 'aborted', stored: 'ready', refused: 'rejected', waiting: 'pending' });
    // No token: a clock calls it.
    expect(needed).toEqual(granted(catalogueAccess(scheduleId)));
  }, 60_000);

  it.each(functionsTriggeredBy('table-stream').map((fn) => [fn.id]))('%s (the table\'s stream): a cold start with no snapshot (rebuilt, written), batches recorded, snapshots written and the log trimmed, a cold start from a snapshot', async (streamId) => {
    expect(streamId).toBe('indexModels');
    const names = [await newModel(), await newModel()];
    const deps = { engine: arrayEngineKind(), log: new SearchChangeLog(stores.documents, stores.tableName), snapshots: new SearchSnapshots(stores.s3, stores.bucket) };
    const needed = await traced(async () => {
      const indexer = new SearchIndexer(deps);
      for (const name of names) await indexer.indexModels([name], { forceSnapshot: true });
      await indexer.indexModels(names, { forceSnapshot: true });
      await new SearchIndexer(deps).indexModels(names);
    });
    // No token: the stream invokes it.
    expect(needed).toEqual(granted(catalogueAccess(streamId)));
  });

  it('createDataset: a single and a multipart upload started', async () => {
    const needed = await traced(async () => {
      await datasetUploads().create(owner, { filename: 'a.csv', size: 100 });
      expect((await datasetUploads().create(owner, { filename: 'b.csv', size: 20 * 1024 * 1024 })).dataset.upload.mode).toBe('multipart');
    });
    // Its multipart upload is aborted only when the record cannot be put (a table outage).
    expect(granted(routeAccess('createDataset')).filter((grant) => !union(TOKEN_LOOKUP, needed).includes(grant))).toEqual(['datasetObjects s3:AbortMultipartUpload']);
    expect(union(TOKEN_LOOKUP, needed).filter((grant) => !granted(routeAccess('createDataset')).includes(grant))).toEqual([]);
  });

  it('listDatasets and getDataset: the caller\'s own, and one read', async () => {
    const made = await datasetUploads().create(owner, { filename: 'a.csv', size: 100 });
    const listed = await traced(() => listOwnDatasets(datasetStore(), owner, { limit: 10 }));
    expect(union(TOKEN_LOOKUP, listed)).toEqual(granted(routeAccess('listDatasets')));
    const read = await traced(() => loadAuthorizedDataset(datasetStore(), owner, made.dataset.id, 'view'));
    expect(union(TOKEN_LOOKUP, read)).toEqual(granted(routeAccess('getDataset')));
  });

  it('getDatasetUpload: the parts of a multipart upload, and whether a single PUT has arrived, each with fresh URLs', async () => {
    const multipart = await datasetUploads().create(owner, { filename: 'b.csv', size: 20 * 1024 * 1024 });
    const single = await datasetUploads().create(owner, { filename: 'a.csv', size: 100 });
    const needed = await traced(async () => {
      expect((await datasetUploads().status(owner, multipart.dataset.id, multipart.dataset.upload.id)).urls.length).toBeGreaterThan(0);
      expect((await datasetUploads().status(owner, single.dataset.id, single.dataset.upload.id)).received).toEqual([]);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('getDatasetUpload')));
  });

  it('completeDatasetUpload: before the PUT, a refused one, a gzip one made ready (its plain copy written), a multipart one made ready', async () => {
    const refused = await datasetUploads().create(owner, { filename: 'a.csv', size: CSV.length, sha256: '0'.repeat(64) });
    const gzipped = gzipSync(CSV);
    const gzip = await datasetUploads().create(owner, { filename: 'a.csv.gz', size: gzipped.length });
    const large = Buffer.from(`a,b\n${'1,2\n'.repeat(9 * 1024 * 1024 / 4)}`);
    const multipart = await datasetUploads().create(owner, { filename: 'big.csv', size: large.length });
    await sendDataset(multipart, large);
    await sendDataset(gzip, gzipped);
    const needed = await traced(async () => {
      await expect(datasetUploads().complete(owner, refused.dataset.id, refused.dataset.upload.id, soon())).rejects.toThrow(/not been uploaded/);
      await sendDataset(refused, CSV);
      expect((await datasetUploads().complete(owner, refused.dataset.id, refused.dataset.upload.id, soon())).status).toBe('rejected');
      expect((await datasetUploads().complete(owner, gzip.dataset.id, gzip.dataset.upload.id, soon())).status).toBe('ready');
      expect((await datasetUploads().complete(owner, multipart.dataset.id, multipart.dataset.upload.id, soon())).status).toBe('ready');
    });
    // Not every call is met on every path (an inspection that fails half-way aborts its plain copy's upload).
    const allowed = union(TOKEN_LOOKUP, granted(routeAccess('completeDatasetUpload')));
    expect(needed.filter((grant) => !allowed.includes(grant))).toEqual([]);
    expect(allowed.filter((grant) => !union(TOKEN_LOOKUP, needed).includes(grant))).toEqual(['datasetObjects s3:AbortMultipartUpload']);
  }, 60_000);

  it('abortDatasetUpload: a multipart upload, a single one already sent, and one already ready (refused)', async () => {
    const multipart = await datasetUploads().create(owner, { filename: 'b.csv', size: 20 * 1024 * 1024 });
    const single = await datasetUploads().create(owner, { filename: 'a.csv', size: CSV.length });
    await sendDataset(single, CSV);
    const done = await datasetUploads().create(owner, { filename: 'a.csv', size: CSV.length });
    await sendDataset(done, CSV);
    expect((await datasetUploads().complete(owner, done.dataset.id, done.dataset.upload.id, soon())).status).toBe('ready');
    const needed = await traced(async () => {
      await datasetUploads().abort(owner, multipart.dataset.id, multipart.dataset.upload.id);
      await datasetUploads().abort(owner, single.dataset.id, single.dataset.upload.id);
      await expect(datasetUploads().abort(owner, done.dataset.id, done.dataset.upload.id)).rejects.toThrow(/already ended/);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('abortDatasetUpload')));
  });

  it('deleteDataset: a ready one with its objects, and a pending multipart one', async () => {
    const ready = await datasetUploads().create(owner, { filename: 'a.csv', size: CSV.length });
    await sendDataset(ready, CSV);
    expect((await datasetUploads().complete(owner, ready.dataset.id, ready.dataset.upload.id, soon())).status).toBe('ready');
    const pending = await datasetUploads().create(owner, { filename: 'b.csv', size: 20 * 1024 * 1024 });
    const needed = await traced(async () => {
      expect((await removeDataset({ datasets: datasetStore(), objects: bundles }, owner, ready.dataset.id)).objects).toBe(2);
      await removeDataset({ datasets: datasetStore(), objects: bundles }, owner, pending.dataset.id);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(routeAccess('deleteDataset')));
  });

  it('finalizeDataset (a storage event): bytes not there yet, made ready, refused, a late PUT to an aborted one, bytes of no dataset', async () => {
    const first = await datasetUploads().create(owner, { filename: 'a.csv', size: CSV.length });
    const refused = await datasetUploads().create(owner, { filename: 'a.csv', size: CSV.length, sha256: '0'.repeat(64) });
    const ended = await datasetUploads().create(owner, { filename: 'a.csv', size: CSV.length });
    expect(await datasetStore().transition(ended.dataset.id, ['pending'], { status: 'aborted', reason: 'traced' }, new Date().toISOString())).toBe(true);
    const stray = datasetDataKey('ds_ffffffffffffffffffffffff');
    await bundles.put(stray, CSV, sha(CSV));
    const finalizer = new DatasetFinalizer({ datasets: datasetStore(), objects: bundles, maxPlainBytes: 1024 ** 3 });
    const needed = await traced(async () => {
      expect(await finalizer.finalizeKey(first.dataset.dataKey, 'event:1')).toBe('pending');
      await sendDataset(first, CSV);
      await sendDataset(refused, CSV);
      await sendDataset(ended, CSV);
      expect(await finalizer.finalizeKey(first.dataset.dataKey, 'event:2')).toBe('ready');
      expect(await finalizer.finalizeKey(refused.dataset.dataKey, 'event:3')).toBe('rejected');
      expect(await finalizer.finalizeKey(ended.dataset.dataKey, 'event:4')).toBe('aborted');
      expect(await finalizer.finalizeKey(stray, 'event:5')).toBe('missing');
    });
    // Every call it made is granted; the plain copy's abort is met only when an inspection fails half-way.
    expect(needed.filter((grant) => !granted(catalogueAccess('finalizeDataset')).includes(grant))).toEqual([]);
    expect(granted(catalogueAccess('finalizeDataset')).filter((grant) => !needed.includes(grant))).toEqual(['datasetObjects s3:AbortMultipartUpload']);
  }, 30_000);

  it('rate limits (every limited route): requests counted, one refused, each caller and class apart', async () => {
    const limiter = new RateLimiter({ store: new DynamoRateCounterStore(stores.documents, stores.tableName), policy: parseRateLimitPolicy('read=2/60s,upload=1/60s') });
    const needed = await traced(async () => {
      const verdicts = [];
      for (let i = 0; i < 3; i += 1) verdicts.push(await limiter.check('user#ada', 'read'));
      verdicts.push(await limiter.check('ip#192.0.2.1', 'read'), await limiter.check('user#ada', 'upload'));
      expect(verdicts.map((verdict) => verdict?.allowed)).toEqual([true, true, false, true, true]);
    });
    expect(needed).toEqual(granted(RATE_LIMIT_ACCESS));
  });

  it('getStatus: both stores probed', async () => {
    const needed = await traced(async () => {
      await stores.models.ping();
      await bundles.ping();
    });
    expect(needed).toEqual(granted(routeAccess('getStatus')));
  });

  it('getJob, listJobs and cancelJob: the owner\'s job read, listed and cancelled', async () => {
    const jobs = new DynamoJobStore(stores.documents, stores.tableName);
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: newJobId(), owner: owner.id, model: 'traced', version: 1, dataset: 'ds_000000000000000000000000', format: 'jsonl', onError: { mode: 'fail', toleratedPercent: 0 },
      state: 'queued', createdAt: now, updatedAt: now, rowsDone: 0, rowsFailed: 0, chunksDone: 0, chunksFailed: 0, firstErrors: [],
    };
    await jobs.put(job);
    expect(union(TOKEN_LOOKUP, await traced(() => loadOwnJob(jobs, owner, job.id)))).toEqual(granted(routeAccess('getJob')));
    expect(union(TOKEN_LOOKUP, await traced(() => jobs.listByOwner(owner.id, { limit: 10 })))).toEqual(granted(routeAccess('listJobs')));
    expect(union(TOKEN_LOOKUP, await traced(() => cancelJob(jobs, owner, job.id, new Date())))).toEqual(granted(routeAccess('cancelJob')));
  });
});
