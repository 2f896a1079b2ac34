import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import { DynamoRateCounterStore, rateCounterKey } from '../../functions/rate-limits/dynamo-rate-counter-store';
import { rateClassOf, requestRateClass, ROUTE_RATE_CLASSES } from '../../functions/rate-limits/rate-classes';
import { functionRateLimits } from '../../lib/access/rate-limit-access';
import { rateLimitHeaders, rateLimitMessage } from '../../functions/rate-limits/rate-limit-headers';
import { formatRateLimitPolicy, loadRateLimitPolicy, parseRateLimitPolicy, RATE_LIMITS_OFF } from '../../functions/rate-limits/rate-limit-policy';
import { RateLimiter } from '../../functions/rate-limits/rate-limiter';
import { ROUTES } from '../../functions/routes/route-table';
import { TABLE_DESIGN } from '../../functions/store/table-design';
import { startDynamoServer, type EmbeddedServer } from '../../local/dynamodb-server';
import { ensureTable } from '../../local/provision';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import { closedPort } from '../support/inference/protocol-server';
import { DEFAULT_RETRY_POLICY, retryDelaySeconds } from '../../cli/retry-after';

const TABLE = 'mlhub-rate-test';
let dynamo: EmbeddedServer;
let client: DynamoDBClient;
let documents: DynamoDBDocumentClient;
let store: DynamoRateCounterStore;
let counter = 0;
const unique = (what: string) => `${what}-${(counter += 1)}`;

const documentClient = (endpoint: string) => {
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 });
  return { raw, documents: DynamoDBDocumentClient.from(raw) };
};

beforeAll(async () => {
  dynamo = await startDynamoServer({ host: '127.0.0.1' });
  ({ raw: client, documents } = documentClient(dynamo.endpoint));
  await ensureTable(client, TABLE);
  store = new DynamoRateCounterStore(documents, TABLE);
}, 30_000);

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

describe('the rate limit policy (MLHUB_RATE_LIMITS)', () => {
  it('reads requests per window by class, in seconds, minutes or hours, and writes it back in seconds', () => {
    const policy = parseRateLimitPolicy(' read=600/60s, WRITE = 60/1m,predict=5/1h,upload=3/30 ');
    expect(policy).toEqual({
      read: { limit: 600, windowSeconds: 60 },
      write: { limit: 60, windowSeconds: 60 },
      predict: { limit: 5, windowSeconds: 3600 },
      upload: { limit: 3, windowSeconds: 30 },
    });
    expect(formatRateLimitPolicy(policy)).toBe('read=600/60s,write=60/60s,predict=5/3600s,upload=3/30s');
    expect(parseRateLimitPolicy(formatRateLimitPolicy(policy))).toEqual(policy);
  });

  it('is off when unset, empty or off, and leaves unnamed classes unlimited', () => {
    for (const text of ['', '  ', 'off', 'OFF']) expect(parseRateLimitPolicy(text)).toEqual(RATE_LIMITS_OFF);
    expect(formatRateLimitPolicy(RATE_LIMITS_OFF)).toBe('off');
    expect(loadRateLimitPolicy({})).toEqual(RATE_LIMITS_OFF);
    expect(parseRateLimitPolicy('predict=10/60s')).toEqual({ predict: { limit: 10, windowSeconds: 60 } });
  });

  it('reads predict-anonymous apart from predict, and counts an anonymous prediction in it only where the policy sets it', () => {
    const policy = parseRateLimitPolicy('predict=120/60s, Predict-Anonymous=20/1m');
    expect(policy).toEqual({ predict: { limit: 120, windowSeconds: 60 }, 'predict-anonymous': { limit: 20, windowSeconds: 60 } });
    expect(formatRateLimitPolicy(policy)).toBe('predict=120/60s,predict-anonymous=20/60s');
    const limits = (given: typeof policy) => (rateClass: keyof typeof policy) => given[rateClass] !== undefined;
    expect(requestRateClass('predict', true, limits(policy))).toBe('predict-anonymous');
    expect(requestRateClass('predict', false, limits(policy))).toBe('predict');
    expect(requestRateClass('read', true, limits(policy))).toBe('read');
    expect(requestRateClass('predict', true, limits(parseRateLimitPolicy('predict=5/60s')))).toBe('predict');
    // Each predict function is told both limits; other functions only their own class.
    const deployed = parseRateLimitPolicy('read=600/60s,predict=120/60s,predict-anonymous=20/60s');
    expect(formatRateLimitPolicy(functionRateLimits('predictModel', deployed))).toBe('predict=120/60s,predict-anonymous=20/60s');
    expect(formatRateLimitPolicy(functionRateLimits('predictModelWithGet', parseRateLimitPolicy('predict-anonymous=20/60s')))).toBe('predict-anonymous=20/60s');
    expect(formatRateLimitPolicy(functionRateLimits('listModels', deployed))).toBe('read=600/60s');
  });

  it.each([
    ['read=10', /'read=10' is not <class>=<requests>\/<window>/],
    ['reads=10/60s', /'reads=10\/60s' names no class of requests; use read, write, predict, upload, deploy, job, predict-anonymous/],
    ['predict-anon=10/60s', /'predict-anon=10\/60s' names no class of requests/],
    ['-predict=10/60s', /is not <class>/],
    ['read=0/60s', /number of requests must be from 1 to 1000000/],
    ['read=10/0s', /window must be from 1 second to 24 hours/],
    ['read=10/25h', /window must be from 1 second to 24 hours/],
    ['read=10/60s,,write=1/1s', /an empty entry/],
    ['read=10/60s,read=5/1s', /the class read is given twice/],
    ['read=10/60d', /is not <class>/],
  ])('refuses %s, naming the entry at fault', (text, message) => {
    expect(() => parseRateLimitPolicy(text)).toThrow(message);
  });

  it('names the environment variable when the function is given a bad value', () => {
    expect(() => loadRateLimitPolicy({ [CONFIG_ENV.rateLimits]: 'read=lots' })).toThrow(/^Environment variable MLHUB_RATE_LIMITS: 'read=lots' is not/);
  });
});

describe('route classes', () => {
  it('counts every route in a class but the health check and the OpenAPI document', () => {
    expect(Object.keys(ROUTE_RATE_CLASSES).sort()).toEqual(ROUTES.map((route) => route.id).sort());
    expect(ROUTES.filter((route) => rateClassOf(route.id) === null).map((route) => route.id).sort()).toEqual(['getOpenApi', 'getStatus']);
    expect(rateClassOf('predictModelWithGet')).toBe('predict');
    expect(rateClassOf('getUpload')).toBe('upload');
    // A deploy creates an endpoint: counted apart from other writes; undeploying is an ordinary write.
    expect(rateClassOf('deployVersion')).toBe('deploy');
    expect(rateClassOf('undeployVersion')).toBe('write');
    expect(formatRateLimitPolicy(functionRateLimits('deployVersion', parseRateLimitPolicy('write=60/60s,deploy=20/1h')))).toBe('deploy=20/3600s');
    // A batch job runs a dataset's predictions on many workers: its start too is counted apart.
    expect(rateClassOf('createJob')).toBe('job');
    expect(rateClassOf('cancelJob')).toBe('write');
    expect(formatRateLimitPolicy(functionRateLimits('createJob', parseRateLimitPolicy('write=60/60s,job=60/1h')))).toBe('job=60/3600s');
    expect(() => rateClassOf('noSuchRoute')).toThrow(/no entry in ROUTE_RATE_CLASSES/);
  });
});

describe('the RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11)', () => {
  const policy = { limit: 600, windowSeconds: 60 };

  it('give the policy and what is left on an answer, and Retry-After on a refusal', () => {
    expect(rateLimitHeaders({ allowed: true, rateClass: 'read', policy, remaining: 598, resetSeconds: 42 })).toEqual({
      'ratelimit-policy': '"read";q=600;w=60',
      ratelimit: '"read";r=598;t=42',
    });
    const refused = { allowed: false, rateClass: 'upload', policy, remaining: 0, resetSeconds: 7 } as const;
    expect(rateLimitHeaders(refused)).toEqual({ 'ratelimit-policy': '"upload";q=600;w=60', ratelimit: '"upload";r=0;t=7', 'retry-after': '7' });
    expect(rateLimitMessage(refused)).toBe('Too many upload requests: at most 600 every 60 s per caller (signed-in user, or address when anonymous); retry after 7 s');
  });
});

describe('rate counters in DynamoDB (dynalite)', () => {
  it('count requests up to the limit and refuse the next without counting it, each counter apart', async () => {
    const counterA = { principal: unique('user#ada'), rateClass: 'read', windowStart: 1_000 } as const;
    const expiresAt = Math.floor(Date.now() / 1000) + 60;
    const counts = [];
    for (let i = 0; i < 4; i += 1) counts.push(await store.take(counterA, 3, expiresAt));
    expect(counts).toEqual([1, 2, 3, undefined]);
    // Another window, another class, another caller: each its own count.
    expect(await store.take({ ...counterA, windowStart: 2_000 }, 3, expiresAt)).toBe(1);
    expect(await store.take({ ...counterA, rateClass: 'write' }, 3, expiresAt)).toBe(1);
    expect(await store.take({ ...counterA, principal: unique('ip#127.0.0.1') }, 3, expiresAt)).toBe(1);
    const item = (await documents.send(new GetCommand({ TableName: TABLE, Key: rateCounterKey(counterA), ConsistentRead: true }))).Item;
    expect(item).toMatchObject({ [TABLE_DESIGN.partitionKey]: `RATE#${counterA.principal}`, requests: 3, [TABLE_DESIGN.timeToLiveAttribute]: expiresAt });
  });

  it('let exactly the limit through when requests race', async () => {
    const racing = { principal: unique('user#racer'), rateClass: 'write', windowStart: 0 } as const;
    const results = await Promise.all(Array.from({ length: 12 }, () => store.take(racing, 5, 9_999_999_999)));
    expect(results.filter((count) => count !== undefined).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('the rate limiter', () => {
  const policy = parseRateLimitPolicy('read=3/10s,write=1/60s');
  let clock = Date.UTC(2026, 0, 1);
  const limiter = () => new RateLimiter({ store, policy, now: () => clock });

  it('refuses a burst past the limit until the window ends, and says when it ends', async () => {
    const ada = unique('user#ada');
    const verdicts = [];
    for (let i = 0; i < 4; i += 1) verdicts.push(await limiter().check(ada, 'read'));
    expect(verdicts.map((verdict) => verdict?.allowed)).toEqual([true, true, true, false]);
    expect(verdicts.map((verdict) => verdict?.remaining)).toEqual([2, 1, 0, 0]);
    const refused = verdicts[3];
    expect(refused?.resetSeconds).toBeGreaterThanOrEqual(1);
    expect(refused?.resetSeconds).toBeLessThanOrEqual(10);
    // Still refused a moment before the window ends; counted afresh once it has.
    clock += (refused?.resetSeconds ?? 0) * 1000 - 1000;
    expect((await limiter().check(ada, 'read'))?.allowed).toBe(refused?.resetSeconds === 1);
    clock += 1000;
    expect(await limiter().check(ada, 'read')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('counts each caller and each class apart', async () => {
    const bob = unique('user#bob');
    for (let i = 0; i < 3; i += 1) await limiter().check(bob, 'read');
    expect((await limiter().check(bob, 'read'))?.allowed).toBe(false);
    expect((await limiter().check(unique('user#carol'), 'read'))?.allowed).toBe(true);
    expect((await limiter().check('ip#127.0.0.1', 'read'))?.allowed).toBe(true);
    expect((await limiter().check(bob, 'write'))?.allowed).toBe(true);
    expect((await limiter().check(bob, 'write'))?.allowed).toBe(false);
  });

  it('does not count classes the policy leaves out', async () => {
    expect(limiter().limits('predict')).toBe(false);
    expect(await limiter().check(unique('user#dan'), 'predict')).toBeUndefined();
  });

  it("starts each caller's windows at their own offset, so refused callers do not all come back at once", async () => {
    const resets = new Set<number>();
    for (let i = 0; i < 20; i += 1) resets.add((await limiter().check(unique('user#many'), 'read'))?.resetSeconds ?? 0);
    expect(resets.size).toBeGreaterThan(3);
  });

  it('lets requests through, and says so in the log, when DynamoDB cannot be reached', async () => {
    const unreachable = documentClient(`http://127.0.0.1:${await closedPort()}`);
    const warnings: { message: string; details: Readonly<Record<string, unknown>> }[] = [];
    try {
      const failing = new RateLimiter({ store: new DynamoRateCounterStore(unreachable.documents, TABLE), policy, warn: (message, details) => warnings.push({ message, details }) });
      expect(await failing.check('user#ada', 'read')).toBeUndefined();
    } finally {
      unreachable.raw.destroy();
    }
    expect(warnings).toEqual([{ message: expect.stringMatching(/goes through unlimited/), details: { rateClass: 'read', error: expect.stringMatching(/ECONNREFUSED|connect/) } }]);
  });
});

describe("the CLI's wait before retrying a 429 (cli/retry-after.ts)", () => {
  const policy = { maxRetries: 3, maxWaitSeconds: 60 };

  it('waits what Retry-After says, in seconds or until its HTTP-date (RFC 9110 §10.2.3)', () => {
    expect(retryDelaySeconds('7', 1, policy)).toBe(7);
    expect(retryDelaySeconds('0', 1, policy)).toBe(0);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryDelaySeconds('Thu, 01 Jan 2026 00:00:12 GMT', 1, policy, now)).toBe(12);
    expect(retryDelaySeconds('Wed, 31 Dec 2025 23:59:00 GMT', 1, policy, now)).toBe(0);
  });

  it('backs off 1, 2, 4 s when there is no Retry-After (API Gateway throttling sends none)', () => {
    expect([1, 2, 3].map((attempt) => retryDelaySeconds(null, attempt, policy))).toEqual([1, 2, 4]);
    expect(retryDelaySeconds('soon', 2, policy)).toBe(2);
  });

  it('gives up after its retries, and on a wait longer than it will wait', () => {
    expect(retryDelaySeconds('1', DEFAULT_RETRY_POLICY.maxRetries + 1, DEFAULT_RETRY_POLICY)).toBeUndefined();
    expect(retryDelaySeconds('61', 1, policy)).toBeUndefined();
    expect(retryDelaySeconds('60', 1, policy)).toBe(60);
  });
});
