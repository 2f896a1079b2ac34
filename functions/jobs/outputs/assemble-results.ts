import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { errorsKey, partErrorsKey, partKey, partsPrefix, resultsKey } from './job-output-keys';
import { concatenateObjects, type Concatenated, type Segment } from './object-concatenation';
import { OUTPUT_CONTENT_TYPES, type OutputFormat } from './output-format';
import { parquetSegments, type StoredPart } from './parquet-assembly';

/**
 * The finalizer's last step: a job's parts, in chunk order, into `jobs/<id>/results.<ext>`, and
 * their error parts into `jobs/<id>/errors.jsonl` (one `{"row","error"}` per line). Chunks are in
 * row order and each part is in row order, so both files are in input order. JSON Lines and CSV
 * parts join by their bytes (the CSV header is in chunk 0's part), Parquet parts by their row
 * groups under one new footer (parquet-assembly.ts); either way by multipart copy where S3 allows,
 * else one streamed pass (object-concatenation.ts). Memory is bounded by the part listing and the
 * Parquet footers, never by the results' size.
 *
 * `chunks` are the chunk indexes whose parts make the file, ascending (the job's manifest). A part
 * or error part missing throws MissingPartError: assembling without it would drop rows silently.
 * Run again on the same parts (a finalizer retried), it writes the same bytes to the same keys.
 */
export interface AssemblyRequest {
  readonly client: S3Client;
  readonly bucket: string;
  readonly jobId: string;
  readonly format: OutputFormat;
  readonly chunks: readonly number[];
}

export interface Assembly {
  readonly results: Concatenated;
  readonly errors: Concatenated;
}

export class MissingPartError extends Error {
  constructor(readonly key: string) {
    super(`the job's part ${key} is missing`);
    this.name = 'MissingPartError';
  }
}

/** Sizes of every object under the job's parts prefix (one listing call per 1000 objects). */
async function partSizes(client: S3Client, bucket: string, jobId: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: partsPrefix(jobId), ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key !== undefined) sizes.set(object.Key, object.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return sizes;
}

function storedParts(sizes: ReadonlyMap<string, number>, keys: readonly string[]): StoredPart[] {
  return keys.map((key) => {
    const size = sizes.get(key);
    if (size === undefined) throw new MissingPartError(key);
    return { key, size };
  });
}

const whole = (part: StoredPart): Segment => ({ key: part.key, start: 0, end: part.size });

export async function assembleResults(request: AssemblyRequest): Promise<Assembly> {
  const { client, bucket, jobId, format, chunks } = request;
  chunks.forEach((chunk, index) => {
    if (!Number.isSafeInteger(chunk) || chunk < 0 || (index > 0 && chunk <= chunks[index - 1]!)) throw new RangeError(`chunks must be ascending indexes; ${chunk} at ${index}`);
  });
  const sizes = await partSizes(client, bucket, jobId);
  const parts = storedParts(sizes, chunks.map((chunk) => partKey(jobId, chunk, format)));
  const errorParts = storedParts(sizes, chunks.map((chunk) => partErrorsKey(jobId, chunk)));
  const segments = format === 'parquet' ? await parquetSegments(client, bucket, parts) : parts.map(whole);
  const results = await concatenateObjects({ client, bucket, key: resultsKey(jobId, format), contentType: OUTPUT_CONTENT_TYPES[format] }, segments);
  const errors = await concatenateObjects({ client, bucket, key: errorsKey(jobId), contentType: OUTPUT_CONTENT_TYPES.jsonl }, errorParts.map(whole));
  return { results, errors };
}
