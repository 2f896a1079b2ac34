import type { Readable, Writable } from 'node:stream';
import type { ReceivedPart } from '../uploads/received-part';
import type { ObjectPin } from '../versions/version-records';

/** What S3 holds at a key: its size in bytes, and the pin of exactly those bytes. */
export interface StoredObject {
  readonly size: number;
  readonly pin: ObjectPin;
}

/** Where bundle bytes live. Keys come from bundle-keys; the store never interprets them. */
export interface BundleStore {
  /**
   * Stores bytes at a new key; S3 verifies them against the sha256 given, and refuses (412,
   * thrown) if the key holds an object already: keys are written once.
   */
  put(key: string, bytes: Buffer, sha256Hex: string): Promise<void>;
  /** The bytes; with a pin, exactly the pinned object or an error, never other bytes. */
  get(key: string, pin?: ObjectPin): Promise<Buffer>;
  /** Streams the bytes, for bundles too large to hold in memory; a pin as for get. */
  open(key: string, pin?: ObjectPin): Promise<Readable>;
  /** Bytes [start, end) of the (pinned) object: end exclusive, as RangeSource reads (an HTTP Range of start to end - 1). */
  readRange(key: string, start: number, end: number, pin?: ObjectPin): Promise<Uint8Array>;
  /** Streams bytes [start, end) of the (pinned) object. */
  openRange(key: string, start: number, end: number, pin?: ObjectPin): Promise<Readable>;
  /**
   * A stream that writes an object of unknown length at `key`, in parts as it grows: `done`
   * settles once S3 holds all of it (after the stream ended), and rejects if a part failed, when
   * the stream is destroyed too; `abort` gives up an unfinished one.
   */
  openWrite(key: string, contentType: string): { readonly stream: Writable; readonly done: Promise<void>; abort(): Promise<void> };
  delete(key: string): Promise<void>;
  /**
   * Ends a key whose version ended: its bytes are replaced by an empty object, so any URL ever
   * handed out for the key meets `If-None-Match: *` and is refused (412) from then on.
   */
  retire(key: string): Promise<void>;
  /** Deletes every object under a prefix; returns how many it deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /** The stored size and pin, or undefined when there is no object. */
  stat(key: string): Promise<StoredObject | undefined>;
  /** A short-lived URL that downloads the (pinned) object under a given file name (Range works on it). */
  presignDownload(key: string, filename: string, expiresSeconds: number, pin?: ObjectPin): Promise<string>;
  /**
   * A short-lived URL that PUTs exactly `size` bytes to the key, once: the headers returned must be
   * sent with it, and include `If-None-Match: *`, so S3 refuses (412) any PUT once the object exists.
   */
  presignPut(key: string, size: number, expiresSeconds: number): Promise<{ url: string; headers: Record<string, string> }>;
  startMultipart(key: string): Promise<string>;
  /** A short-lived URL that uploads exactly `size` bytes as part `part` of a multipart upload. */
  presignPart(key: string, uploadId: string, part: number, size: number, expiresSeconds: number): Promise<string>;
  /** The parts received so far, in order; undefined when the upload no longer exists. */
  listParts(key: string, uploadId: string): Promise<ReceivedPart[] | undefined>;
  /** Assembles the parts, only if the key holds no object yet (If-None-Match: *). */
  completeMultipart(key: string, uploadId: string, parts: readonly ReceivedPart[]): Promise<void>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** Cheap round trip proving the bucket answers. */
  ping(): Promise<void>;
}
