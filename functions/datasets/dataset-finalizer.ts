import { createHash } from 'node:crypto';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BundleStore, StoredObject } from '../bundles/bundle-store';
import { CLAIM_MS, whileClaimed } from '../uploads/claim-lease';
import { DatasetRefusal, detectFormat, inspectDataset, inspectParquet, type DatasetInspection, type RangeSource } from './dataset-inspection';
import { datasetLayoutKey, datasetPlainKey, parseDatasetDataKey } from './dataset-keys';
import type { DatasetRecord, DatasetStatus } from './dataset-records';
import type { DatasetStore } from './dataset-store';

/**
 * - a dataset status: where it stands now (`pending` while its bytes have not all arrived);
 * - `missing`: no such dataset (deleted): bytes stored for it were removed;
 * - `busy`: someone else holds the claim to inspect it, and will finish it (or the sweep will).
 */
export type DatasetFinalizeResult = DatasetStatus | 'missing' | 'busy';

export interface DatasetFinalizerDeps {
  readonly datasets: DatasetStore;
  readonly objects: BundleStore;
  /**
   * Bytes a gzip dataset may decompress to (the bundles' unpacked limit, MLHUB_MAX_UNPACKED_BYTES):
   * a small upload of zeros otherwise inflated to any size, in the complete call's inspection.
   */
  readonly maxPlainBytes: number;
  readonly now?: () => Date;
  /** Told of every inspection that made a dataset ready or rejected it (for logs and metrics). */
  readonly onChecked?: (check: { readonly id: string; readonly outcome: 'ready' | 'rejected'; readonly bytes: number; readonly reason?: string }) => void;
}

/** Bytes read to tell the format by its magic numbers (a tar's `ustar` is at 257). */
const SNIFF_BYTES = 512;

/** A RangeSource (dataset-inspection.ts) on one stored object, pinned to the bytes the check saw. */
export function objectRangeSource(objects: BundleStore, key: string, stored: StoredObject): RangeSource {
  return {
    size: stored.size,
    read: (start, end) => objects.readRange(key, start, Math.min(end, stored.size), stored.pin),
    stream: (start, end) => objects.openRange(key, start, Math.min(end, stored.size), stored.pin),
  };
}

/**
 * The one way a pending dataset becomes ready or rejected, whichever path its bytes came by (the
 * complete call, the storage event, the sweep), as VersionFinalizer is for bundles.
 *
 * The data object is streamed once, pinned to the ETag it had when looked at, through a sha256
 * and the inspection (dataset-inspection.ts), which writes the decompressed copy of a gzip upload
 * (`plain`) as it goes; the layout goes to `layout.json`. Its size and sha256 must match what was
 * declared. A rejected dataset keeps its reason and loses its objects (its data key is retired,
 * so no URL writes there again). Safe to run again and from several places at once: a claim keeps
 * two checks from streaming the same bytes, and every change of state is conditional on `pending`.
 */
export class DatasetFinalizer {
  private readonly now: () => Date;

  constructor(private readonly deps: DatasetFinalizerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** For a stored object's key, as a storage event names it. Bytes that belong to no pending dataset are removed. */
  async finalizeKey(key: string, claimant: string, options: { until?: Date } = {}): Promise<DatasetFinalizeResult | 'ignored'> {
    const id = parseDatasetDataKey(key);
    if (!id) return 'ignored';
    const dataset = await this.deps.datasets.get(id);
    if (!dataset) {
      // A URL still alive after its dataset was deleted wrote here.
      await this.deps.objects.delete(key);
      return 'missing';
    }
    if (dataset.status !== 'pending') {
      // A ready dataset's object is never written again (If-None-Match); an ended one keeps only its empty marker.
      if (dataset.status !== 'ready' && (await this.deps.objects.stat(key))?.size !== 0) await this.deps.objects.retire(key);
      return dataset.status;
    }
    return this.check(dataset, claimant, options);
  }

  async finalize(id: string, claimant: string, options: { until?: Date } = {}): Promise<DatasetFinalizeResult> {
    const dataset = await this.deps.datasets.get(id);
    if (!dataset) return 'missing';
    if (dataset.status !== 'pending') return dataset.status;
    return this.check(dataset, claimant, options);
  }

  private async check(dataset: DatasetRecord, claimant: string, options: { until?: Date }): Promise<DatasetFinalizeResult> {
    const stored = await this.deps.objects.stat(dataset.dataKey);
    if (stored === undefined) return 'pending';
    const until = (options.until ?? new Date(this.now().getTime() + CLAIM_MS)).getTime();
    const checked = await whileClaimed((lease, now) => this.deps.datasets.claim(dataset.id, claimant, lease, now), until, this.now, () => this.checkClaimed(dataset, stored));
    if (checked.claimed) return checked.result;
    const status = await this.statusOf(dataset.id);
    return status === 'pending' ? 'busy' : status;
  }

  private async checkClaimed(dataset: DatasetRecord, stored: StoredObject): Promise<DatasetFinalizeResult> {
    const { datasets, objects } = this.deps;
    const { id } = dataset;
    let reason: string;
    // What a check killed mid-way left behind: the layout is written once (If-None-Match).
    await this.removeDerived(id);
    try {
      const { inspection, sha256 } = await this.inspect(dataset, stored);
      const declared = dataset.upload.sha256;
      if (declared && sha256 !== declared) throw new DatasetRefusal(`The dataset's sha256 is ${sha256}, not the ${declared} declared`);
      const layoutKey = datasetLayoutKey(id);
      const layout = Buffer.from(JSON.stringify(inspection.layout));
      await objects.put(layoutKey, layout, createHash('sha256').update(layout).digest('hex'));
      const plainKey = inspection.readsFrom === 'plain' ? datasetPlainKey(id) : undefined;
      const outcome = {
        status: 'ready', sha256, format: inspection.format, compression: inspection.compression, schema: inspection.schema,
        rowCount: inspection.rowCount, readsFrom: inspection.readsFrom, layoutKey, pin: stored.pin, ...(plainKey ? { plainKey } : {}),
      } as const;
      if (!(await datasets.transition(id, ['pending'], outcome, this.now().toISOString()))) {
        await this.removeDerived(id);
        return this.statusOf(id);
      }
      this.deps.onChecked?.({ id, outcome: 'ready', bytes: stored.size });
      return 'ready';
    } catch (error) {
      await this.removeDerived(id);
      if (!(error instanceof DatasetRefusal)) {
        // The bytes went while being read (an abort, a delete, an expiry): whoever ended the dataset says how.
        const status = await this.statusOf(id);
        if (status !== 'pending') return status;
        throw error;
      }
      reason = error.message;
    }
    if (!(await datasets.transition(id, ['pending'], { status: 'rejected', reason }, this.now().toISOString()))) return this.statusOf(id);
    await objects.retire(dataset.dataKey);
    this.deps.onChecked?.({ id, outcome: 'rejected', bytes: stored.size, reason });
    return 'rejected';
  }

  /** Streams the object once through a sha256 and the inspection; a refusal (DatasetRefusal) says what is wrong with the file. */
  private async inspect(dataset: DatasetRecord, stored: StoredObject): Promise<{ inspection: DatasetInspection; sha256: string }> {
    const { objects } = this.deps;
    if (stored.size !== dataset.size) throw new DatasetRefusal(`The stored dataset is ${stored.size} bytes, not the ${dataset.size} bytes declared`);
    const source = objectRangeSource(objects, dataset.dataKey, stored);
    const sniffed = detectFormat(dataset.filename, await source.read(0, SNIFF_BYTES));
    const format = dataset.format ?? sniffed?.format;
    if (!format) throw new DatasetRefusal(`Cannot tell the format of '${dataset.filename}' from its name or first bytes; create the dataset again with \`format\``);
    const compression = sniffed?.compression ?? 'none';
    const hash = createHash('sha256');
    const hashed = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // Errors travel both ways: a failed read fails the inspection, an inspection that stops early ends the read.
    void pipeline(await objects.open(dataset.dataKey, stored.pin), hashed).catch(() => undefined);
    let plain: ReturnType<BundleStore['openWrite']> | undefined;
    try {
      const inspection = format === 'parquet'
        // Parquet is read by its footer, by range; the stream is read through only for the sha256.
        ? (await Promise.all([inspectParquet(source), pipeline(hashed, new Writable({ write: (_chunk, _encoding, done) => done() }))]))[0]
        : await inspectDataset(hashed, {
          filename: dataset.filename, format, compression, maxPlainBytes: this.deps.maxPlainBytes,
          plainSink: () => (plain = objects.openWrite(datasetPlainKey(dataset.id), 'application/octet-stream')).stream,
        });
      await plain?.done;
      return { inspection, sha256: hash.digest('hex') };
    } catch (error) {
      await plain?.abort().catch(() => undefined);
      throw error;
    }
  }

  /** What a check wrote beside the data: the plain copy and the layout. */
  private async removeDerived(id: string): Promise<void> {
    await Promise.all([this.deps.objects.delete(datasetPlainKey(id)), this.deps.objects.delete(datasetLayoutKey(id))]);
  }

  private async statusOf(id: string): Promise<DatasetFinalizeResult> {
    return (await this.deps.datasets.get(id))?.status ?? 'missing';
  }
}

