import type { Readable } from 'node:stream';

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
  /** Cheap round trip proving the bucket answers. */
  ping(): Promise<void>;
}
