import { DynamoDBClient, paginateScan, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { LOCAL_BUCKET, LOCAL_REGION, LOCAL_TABLE } from '../../../local/local-resources';
import { LOCAL_S3_CREDENTIALS } from '../../../local/s3-server';
import { SEARCH_LOG_PARTITION } from '../../../functions/search/search-change-log';
import { SEARCH_PREFIX } from '../../../functions/search/search-snapshots';

/** Every stored item and object, each as a canonical line keyed by where it lives. */
export type StateSnapshot = ReadonlyMap<string, string>;

export interface StateReader {
  snapshot(): Promise<StateSnapshot>;
  close(): void;
}

/** JSON with object keys sorted, so two reads of the same item compare equal. */
function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const itemKey = (item: Record<string, AttributeValue>) => `table ${canonical(item.PK)} ${canonical(item.SK)}`;

/**
 * Reads the running MLHub's whole state straight from its stores: every table item (models,
 * versions, grants, tokens, upload sessions) and every bucket object with its ETag, size and
 * time, but the search index's (its change log and snapshots, which the indexer derives from the
 * rest on its own time). The S3 client signs its requests, as the local S3 requires.
 */
export function stateReader(endpoints: { dynamoEndpoint: string; s3Endpoint: string }): StateReader {
  const dynamo = new DynamoDBClient({ endpoint: endpoints.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_S3_CREDENTIALS });
  const s3 = new S3Client({
    endpoint: endpoints.s3Endpoint, region: LOCAL_REGION, forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const tableItems = async () => {
    const lines: [string, string][] = [];
    for await (const page of paginateScan({ client: dynamo }, { TableName: LOCAL_TABLE, ConsistentRead: true })) {
      // The search log is derived from the rest, written by the indexer when the stream delivers an earlier write: not what a request changed.
      for (const item of page.Items ?? []) if (item.PK?.S !== SEARCH_LOG_PARTITION) lines.push([itemKey(item), canonical(item)]);
    }
    return lines;
  };
  const bucketObjects = async () => {
    const lines: [string, string][] = [];
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: LOCAL_BUCKET })) {
      for (const object of page.Contents ?? []) {
        // Search snapshots, likewise derived and written asynchronously.
        if (object.Key?.startsWith(SEARCH_PREFIX)) continue;
        lines.push([`object ${object.Key}`, canonical({ etag: object.ETag, size: object.Size, modified: object.LastModified?.toISOString() })]);
      }
    }
    return lines;
  };
  return {
    async snapshot() {
      const [items, objects] = await Promise.all([tableItems(), bucketObjects()]);
      return new Map([...items, ...objects]);
    },
    close() {
      dynamo.destroy();
      s3.destroy();
    },
  };
}

/** What differs between two snapshots, one line per item or object, empty when nothing does. */
export function stateChanges(before: StateSnapshot, after: StateSnapshot): string[] {
  const changes: string[] = [];
  for (const [key, value] of before) {
    const now = after.get(key);
    if (now === undefined) changes.push(`removed ${key}: ${value.slice(0, 300)}`);
    else if (now !== value) changes.push(`changed ${key}: ${value.slice(0, 300)} -> ${now.slice(0, 300)}`);
  }
  for (const [key, value] of after) if (!before.has(key)) changes.push(`added ${key}: ${value.slice(0, 300)}`);
  return changes;
}
