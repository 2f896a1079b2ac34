import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { partErrorsKey, partKey } from './job-output-keys';
import { OUTPUT_CONTENT_TYPES, type OutputFormat } from './output-format';
import type { WrittenPart } from './part-rows';

/**
 * Stores one chunk's part and its error part under their fixed keys (job-output-keys.ts). A chunk
 * run again (a retried or crashed worker) overwrites both, so the job never holds a chunk's rows
 * twice; the errors go first, so a part present means its errors are too.
 */
export async function storePart(client: S3Client, bucket: string, target: { jobId: string; chunk: number; format: OutputFormat }, part: WrittenPart): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: partErrorsKey(target.jobId, target.chunk), Body: part.errors, ContentLength: part.errors.length, ContentType: OUTPUT_CONTENT_TYPES.jsonl }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: partKey(target.jobId, target.chunk, target.format), Body: part.body, ContentLength: part.body.length, ContentType: OUTPUT_CONTENT_TYPES[target.format] }));
}
