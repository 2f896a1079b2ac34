import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_BUNDLE_LIMITS } from '../../../functions/bundles/bundle-limits';
import { inspectBundle } from '../../../functions/bundles/inspect-bundle';
import type { VersionToRun } from '../../../functions/inference/inference-engine';
import { makeTarGz, type TarEntry } from '../tarballs';

/** A model bundle in the TFaaS layout (one folder), made in memory. */
export function modelBundle(files: Readonly<Record<string, string | Buffer | Uint8Array>>, folder = 'model'): Promise<Buffer> {
  const entries: TarEntry[] = [{ name: `${folder}/`, type: 'directory' }];
  for (const [name, content] of Object.entries(files)) {
    entries.push({ name: `${folder}/${name}`, content: typeof content === 'string' ? content : Buffer.from(content) });
  }
  return makeTarGz(entries);
}

/**
 * Bundles by storage key, as the object store would hold them, with the registry's view of each
 * version: the real upload checker computes its sha256 and manifest.
 */
export class BundleShelf {
  private readonly bytes = new Map<string, Buffer>();
  readonly opened: string[] = [];

  async add(key: string, bundle: Buffer, version = 1): Promise<VersionToRun> {
    this.bytes.set(key, bundle);
    const inspected = await inspectBundle(Readable.from([bundle]), DEFAULT_BUNDLE_LIMITS);
    return { version, sha256: inspected.sha256, bundleKey: key, status: 'ready', manifest: inspected.manifest };
  }

  /** Replaces the stored bytes under a key, as storage corruption would. */
  tamper(key: string, bundle: Buffer): void {
    this.bytes.set(key, bundle);
  }

  /** Streams in small chunks, as S3 does, so parsers see real chunk boundaries. */
  readonly open = async (key: string): Promise<Readable> => {
    this.opened.push(key);
    const bundle = this.bytes.get(key);
    if (!bundle) throw new Error(`no bundle at ${key}`);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < bundle.length; offset += 4096) chunks.push(bundle.subarray(offset, offset + 4096));
    return Readable.from(chunks);
  };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function temporaryFolder(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
