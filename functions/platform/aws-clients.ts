import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { watchTableChanges } from '../store/table-changes';
import type { FunctionConfig } from './function-config';

/** The document client every store uses; locally, it also reports table changes (functions/store/table-changes.ts). */
export function createDocumentClient(): DynamoDBDocumentClient {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  watchTableChanges(client);
  return client;
}

/**
 * Checksums only where S3 demands them: otherwise the presigner bakes the checksum of an empty
 * body into every presigned upload URL, and S3 then refuses the real bytes.
 */
export function createS3Client(config: Pick<FunctionConfig, 's3ForcePathStyle'>): S3Client {
  return new S3Client({ forcePathStyle: config.s3ForcePathStyle, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}
