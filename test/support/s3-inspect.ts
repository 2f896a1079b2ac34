import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_BUCKET, LOCAL_REGION } from '../../local/local-resources';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';

/** Reads the running MLHub's bucket directly, to prove what is (and is not) stored. */
export function bucketReader(s3Endpoint: string) {
  const client = new S3Client({
    endpoint: s3Endpoint, region: LOCAL_REGION, forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    client,
    async keys(prefix: string): Promise<string[]> {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
    },
    /** Keys of the objects that hold bytes, without the empty markers of retired keys. */
    async storedKeys(prefix: string): Promise<string[]> {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET, Prefix: prefix }));
      return (listed.Contents ?? []).filter((object) => (object.Size ?? 0) > 0).map((object) => object.Key ?? '').sort();
    },
  };
}
