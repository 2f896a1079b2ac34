import type { Readable } from 'node:stream';
import type { ReceivedPart } from '../uploads/upload-records';

/** Where bundle bytes live. Keys come from bundle-keys; the store never interprets them. */
export interface BundleStore {
  /** Stores bytes at a key; S3 verifies them against the sha256 given. */
  put(key: string, bytes: Buffer, sha256Hex: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Streams the bytes, for bundles too large to hold in memory. */
  open(key: string): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Deletes every object under a prefix; returns how many it deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /** The stored size, or undefined when there is no object. */
  sizeOf(key: string): Promise<number | undefined>;
  /** A short-lived URL that downloads the object under a given file name (Range works on it). */
  presignDownload(key: string, filename: string, expiresSeconds: number): Promise<string>;
  /** A short-lived URL that PUTs exactly `size` bytes to the key. */
  presignPut(key: string, size: number, expiresSeconds: number): Promise<string>;
  startMultipart(key: string): Promise<string>;
  /** A short-lived URL that uploads exactly `size` bytes as part `part` of a multipart upload. */
  presignPart(key: string, uploadId: string, part: number, size: number, expiresSeconds: number): Promise<string>;
  /** The parts received so far, in order; undefined when the upload no longer exists. */
  listParts(key: string, uploadId: string): Promise<ReceivedPart[] | undefined>;
  completeMultipart(key: string, uploadId: string, parts: readonly ReceivedPart[]): Promise<void>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** Cheap round trip proving the bucket answers. */
  ping(): Promise<void>;
}
