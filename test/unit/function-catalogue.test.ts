import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_FUNCTIONS, catalogueFunction, everyFunction, functionsTriggeredBy } from '../../functions/catalogue/function-catalogue';
import { streamFilterPatterns } from '../../functions/catalogue/stream-filters';
import { ROUTES } from '../../functions/routes/route-table';

const HANDLERS = fileURLToPath(new URL('../../functions/handlers/', import.meta.url));

describe('the function catalogue', () => {
  it('lists every function once: the routes as HTTP functions, then the catalogue\'s, ids never shared', () => {
    const ids = everyFunction().map((fn) => fn.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(everyFunction().filter((fn) => fn.trigger.kind === 'http').map((fn) => fn.id)).toEqual(ROUTES.map((route) => route.id));
    expect(CATALOGUE_FUNCTIONS.every((fn) => fn.trigger.kind !== ('http' as string))).toBe(true);
  });

  it('names handler modules that exist, and Lambda limits it can have', () => {
    for (const fn of CATALOGUE_FUNCTIONS) {
      expect(existsSync(join(HANDLERS, `${fn.handler}.ts`)), fn.id).toBe(true);
      expect(fn.timeoutSeconds, fn.id).toBeLessThanOrEqual(900);
      expect(fn.memoryMb, fn.id).toBeGreaterThanOrEqual(128);
    }
  });

  it('holds the upload finalizer as an S3 trigger and the sweep as a schedule, with their ids kept', () => {
    expect(functionsTriggeredBy('s3').map((fn) => fn.id)).toEqual(['finalizeUpload', 'finalizeDataset']);
    expect(catalogueFunction('finalizeDataset').trigger).toEqual({ kind: 's3', bucket: 'bundle-bucket', events: ['s3:ObjectCreated:*'], prefix: 'datasets/', suffix: '/data' });
    expect(catalogueFunction('finalizeUpload').trigger).toEqual({ kind: 's3', bucket: 'bundle-bucket', events: ['s3:ObjectCreated:*'], prefix: 'models/', suffix: '/bundle.tar.gz' });
    expect(functionsTriggeredBy('schedule').map((fn) => [fn.id, fn.handler, fn.trigger.rateMinutes])).toEqual([['sweepVersions', 'sweep-versions', 5]]);
    expect(() => catalogueFunction('noSuchFunction')).toThrow(/No function with id 'noSuchFunction' in the function catalogue/);
  });
});

describe('stream filter patterns', () => {
  const trigger = { kind: 'table-stream', events: ['INSERT', 'MODIFY', 'INSERT'], keyPrefixes: [{ partitionKey: 'MODEL#', sortKey: 'VER#' }, { partitionKey: 'DOI#' }], batchSize: 10, retryAttempts: 3 } as const;

  it('are one Lambda filter per key prefix, each with the event names once, in the table\'s key attribute names', () => {
    expect(streamFilterPatterns(trigger)).toEqual([
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { PK: { S: [{ prefix: 'MODEL#' }] }, SK: { S: [{ prefix: 'VER#' }] } } } },
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { PK: { S: [{ prefix: 'DOI#' }] } } } },
    ]);
  });

  it('refuse what Lambda would refuse or what would read the whole table', () => {
    expect(() => streamFilterPatterns({ ...trigger, events: [] })).toThrow(/at least one event name/);
    expect(() => streamFilterPatterns({ ...trigger, keyPrefixes: [] })).toThrow(/at least one key prefix/);
    expect(() => streamFilterPatterns({ ...trigger, keyPrefixes: [{ partitionKey: '' }] })).toThrow(/needs a partition key prefix/);
    expect(() => streamFilterPatterns({ ...trigger, keyPrefixes: Array.from({ length: 6 }, (_, i) => ({ partitionKey: `P${i}` })) })).toThrow(/at most 5 filters/);
  });
});
