/**
 * ROUTE_ACCESS and EVENT_ACCESS, checked against the calls the code really makes: each route's
 * domain operation runs over the real DynamoDB and S3 stores (dynalite and s3rver), every SDK
 * command is recorded (presigned URLs included, since a URL acts with the signer's permission),
 * translated into the IAM action S3 or DynamoDB authorizes it as, and the set must be exactly
 * what the function is granted: nothing called without a grant, no grant never called.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BUNDLE_ROOT } from '../../functions/bundles/bundle-keys';
import { S3BundleStore } from '../../functions/bundles/s3-bundle-store';
import { userActor } from '../../functions/identity/actor';
import { TABLE_DESIGN } from '../../functions/store/table-design';
import type { SessionStatus } from '../../functions/versions/upload-sessions';
import { EVENT_SUBSCRIPTIONS } from '../../functions/routes/route-table';
import { eventAccess } from '../../lib/access/event-access';
import { functionAccess, type AccessTarget, type RouteAccess } from '../../lib/access/route-access';
import { startEmbeddedStores, type EmbeddedStores } from '../support/embedded-stores';
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

/** Records every command a client sends or presigns, before it is sent. */
function recordCalls(client: S3Client | DynamoDBDocumentClient, service: Call['service']): void {
  (client as S3Client).middlewareStack.add((next, context) => async (args) => {
    const call: Call = { service, command: String(context.commandName).replace(/Command$/, ''), input: args.input as Record<string, unknown> };
    calls.push(call);
    try {
      return await next(args);
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
  BatchWrite: 'BatchWriteItem', BatchWriteItem: 'BatchWriteItem',
};

/** The action S3 authorizes each call as (https://docs.aws.amazon.com/AmazonS3/latest/API/). */
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
    return [`${typeof call.input.IndexName === 'string' ? indexTarget(call.input.IndexName) : 'table'} dynamodb:${action}`];
  }
  if (call.command === 'ListObjectsV2') {
    const prefix = String(call.input.Prefix ?? '');
    if (prefix === BUNDLE_ROOT) return ['bundleRootListing s3:ListBucket'];
    return [/^models\/[^/]+\/$/.test(prefix) ? 'bundleListing s3:ListBucket' : `listing outside one model: '${prefix}'`];
  }
  const action = S3_OBJECT_ACTIONS[call.command];
  const key = String(call.input.Key ?? '');
  const keys = call.command === 'DeleteObjects' ? ((call.input.Delete as { Objects: { Key: string }[] }).Objects.map((object) => object.Key)) : [key];
  if (!action) return [`unmapped s3 ${call.command}`];
  if (keys.some((candidate) => !candidate.startsWith(BUNDLE_ROOT))) return [`object outside the bundle root: ${keys.join(', ')}`];
  // A missing key answers 404 only to a caller who may list the bucket; 403 otherwise.
  const missing = call.command === 'HeadObject' && call.failure === 'NotFound' ? ['bundleKeyLookup s3:ListBucket'] : [];
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

async function sendAll(status: SessionStatus, bundle: Buffer): Promise<void> {
  const partSize = status.session.partSize ?? bundle.length;
  for (const { number, url } of status.urls) {
    const response = await fetch(url, { method: 'PUT', body: bundle.subarray((number - 1) * partSize, number * partSize) });
    expect(response.status).toBe(200);
  }
}

const soon = () => Date.now() + 20_000;

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

  it('createUpload: starting a single and a multipart upload, and undoing the version when S3 refuses', async () => {
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
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(functionAccess('createUpload')));
  });

  it('listUploads: a model\'s open sessions', async () => {
    const name = await newModel();
    await stores.uploads.start(owner, name, { size: 1000 });
    const needed = await traced(() => stores.uploads.list(owner, name));
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(functionAccess('listUploads')));
  });

  it('getUpload: the parts of a multipart upload, and whether a single PUT has arrived, each with fresh URLs', async () => {
    const name = await newModel();
    const multipart = await stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 });
    const single = await stores.uploads.start(owner, name, { size: 1000 });
    const needed = await traced(async () => {
      expect((await stores.uploads.status(owner, name, multipart.session.id)).urls.length).toBeGreaterThan(0);
      expect((await stores.uploads.status(owner, name, single.session.id)).received).toEqual([]);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(functionAccess('getUpload')));
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
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(functionAccess('completeUpload')));
  }, 60_000);

  it('abortUpload: a multipart upload, and a single one already sent', async () => {
    const name = await newModel();
    const multipart = await stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 });
    const small = await sampleBundle();
    const single = await stores.uploads.start(owner, name, { size: small.length });
    await sendAll(single, small);
    const needed = await traced(async () => {
      await stores.uploads.abort(owner, name, multipart.session.id);
      await stores.uploads.abort(owner, name, single.session.id);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(functionAccess('abortUpload')));
  });

  it.each(EVENT_SUBSCRIPTIONS.map((subscription) => [subscription.id]))('%s (a storage event): a bundle not there yet, one made ready, one refused', async (subscriptionId) => {
    expect(subscriptionId).toBe('finalizeUpload');
    const name = await newModel();
    const good = await sampleBundle();
    const bad = await sampleBundle('other');
    const first = await stores.uploads.start(owner, name, { size: good.length, sha256: sha(good) });
    const second = await stores.uploads.start(owner, name, { size: bad.length, sha256: sha(good) });
    const needed = await traced(async () => {
      expect(await stores.finalizer.finalize(name, first.session.version, 'event:1')).toBe('pending');
      await sendAll(first, good);
      await sendAll(second, bad);
      expect(await stores.finalizer.finalize(name, first.session.version, 'event:2')).toBe('ready');
      expect(await stores.finalizer.finalize(name, second.session.version, 'event:3')).toBe('rejected');
    });
    // No token: storage events come from S3.
    expect(needed).toEqual(granted(eventAccess(subscriptionId)));
  });

  it('downloadBundle: a small bundle read, a large one signed', async () => {
    const name = await newModel();
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    const needed = await traced(async () => {
      const version = await stores.versions.downloadableVersion(owner, name);
      await bundles.get(version.bundleKey);
      await bundles.presignDownload(version.bundleKey, 'bundle.tar.gz', 60);
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(functionAccess('downloadBundle')));
  });

  it('uploadBundle: a direct upload, and one undone when S3 refuses the bytes', async () => {
    const name = await newModel();
    const needed = await traced(async () => {
      await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
      await stores.stopS3();
      try {
        await expect(stores.direct.addVersion(owner, name, { bytes: await sampleBundle() })).rejects.toThrow();
      } finally {
        await stores.restartS3();
      }
    });
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(functionAccess('uploadBundle')));
  });

  it('deleteModel: a model with a version and an open upload', async () => {
    const name = await newModel();
    await stores.direct.addVersion(owner, name, { bytes: await sampleBundle() });
    await stores.uploads.start(owner, name, { size: 20 * 1024 * 1024 });
    const needed = await traced(() => stores.removal.deleteModel(owner, name));
    expect(union(TOKEN_LOOKUP, needed)).toEqual(granted(functionAccess('deleteModel')));
  });

  it('getStatus: both stores probed', async () => {
    const needed = await traced(async () => {
      await stores.models.ping();
      await bundles.ping();
    });
    expect(needed).toEqual(granted(functionAccess('getStatus')));
  });
});
