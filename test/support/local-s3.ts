import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_S3_CREDENTIALS, startS3Server, type LocalS3Server } from '../../local/s3-server';

/** The local S3 server (s3rver with MLHub's extensions) on a temporary folder, and an SDK client for it. */
export interface LocalS3 {
  readonly server: LocalS3Server;
  readonly s3: S3Client;
  readonly bucket: string;
  /** An object's bytes. */
  read(key: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function startLocalS3(bucket: string): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'mlhub-s3-'));
  const server = await startS3Server({ directory, host: '127.0.0.1', buckets: [bucket] });
  // As functions/platform/aws-clients.ts makes it: checksums only where S3 demands them.
  const s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return {
    server,
    s3,
    bucket,
    read: async (key) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray()),
    close: async () => {
      s3.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
