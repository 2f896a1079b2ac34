import { randomBytes } from 'node:crypto';
import { datasetNotFound } from '../access/access-policy';
import type { BundleStore } from '../bundles/bundle-store';
import { AppError, conflict, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import type { UploadLimits } from '../platform/function-config';
import type { ReceivedPart } from '../uploads/received-part';
import { endUploadBytes } from '../uploads/upload-bytes';
import { assembleParts, beginTransfer, checkPartNumbers, firstParts, planOf, receivedParts, signParts, transferFields, type PartUrl } from '../uploads/upload-transfer';
import { checkWhileWaiting } from '../uploads/inline-check';
import { loadAuthorizedDataset } from './authorized-dataset';
import type { DatasetFinalizer } from './dataset-finalizer';
import type { DatasetFormat } from './dataset-inspection';
import { datasetDataKey } from './dataset-keys';
import { newDatasetId, type DatasetRecord, type DatasetVisibility } from './dataset-records';
import type { DatasetStore } from './dataset-store';

/** What `POST /datasets` takes, as its contract validated it (functions/contracts/dataset-contracts.ts). */
export interface CreateDatasetRequest {
  readonly filename: string;
  readonly size: number;
  readonly sha256?: string;
  readonly format?: DatasetFormat;
  readonly visibility?: DatasetVisibility;
}

/** A dataset with its upload as S3 has it: the parts received, and fresh URLs for the next ones. */
export interface DatasetUploadStatus {
  readonly dataset: DatasetRecord;
  readonly received: readonly ReceivedPart[];
  readonly urls: readonly PartUrl[];
}

export interface DatasetUploadDeps {
  readonly datasets: DatasetStore;
  readonly objects: BundleStore;
  readonly finalizer: DatasetFinalizer;
  readonly limits: UploadLimits;
  readonly now?: () => Date;
}

/**
 * A dataset's bytes arrive as a bundle's do (functions/versions/upload-sessions.ts), on the same
 * presigned, resumable transfer (functions/uploads/): one session per dataset, started with it.
 * The size is checked against the bundle limit before any byte moves; the single PUT's URL is
 * write-once (If-None-Match: *), so no URL ever overwrites a ready dataset.
 */
export class DatasetUploads {
  private readonly now: () => Date;

  constructor(private readonly deps: DatasetUploadDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(actor: Actor, request: CreateDatasetRequest): Promise<DatasetUploadStatus> {
    const { size, sha256, filename, format, visibility } = request;
    const { maxBundleBytes, sessionSeconds } = this.deps.limits;
    if (size > maxBundleBytes) {
      throw new AppError('too_large', 'dataset_too_large', `The dataset is ${size} bytes; this MLHub accepts datasets of at most ${maxBundleBytes} bytes`);
    }
    const id = newDatasetId();
    const key = datasetDataKey(id);
    const now = this.now().toISOString();
    const begun = await beginTransfer(this.deps.objects, key, size);
    const dataset: DatasetRecord = {
      id, owner: actor.id, filename, size, status: 'pending', visibility: visibility ?? 'private', createdAt: now, updatedAt: now, dataKey: key,
      ...(sha256 ? { sha256 } : {}), ...(format ? { format } : {}),
      upload: {
        id: randomBytes(12).toString('hex'), key, size, state: 'open', expiresAt: new Date(this.now().getTime() + sessionSeconds * 1000).toISOString(),
        ...(sha256 ? { sha256 } : {}), ...transferFields(begun),
      },
    };
    try {
      await this.deps.datasets.put(dataset);
    } catch (error) {
      if (begun.s3UploadId) await this.deps.objects.abortMultipart(key, begun.s3UploadId).catch(() => undefined);
      throw error;
    }
    return { dataset, received: [], urls: await this.sign(dataset, firstParts(begun.plan, [])) };
  }

  /** The parts received, and fresh URLs: for `requested` parts, or else for the first ones missing. */
  async status(actor: Actor, id: string, uploadId: string, requested?: readonly number[]): Promise<DatasetUploadStatus> {
    const dataset = await this.session(actor, id, uploadId);
    const { upload } = dataset;
    const open = upload.state === 'open' && dataset.status === 'pending';
    if (open) this.checkNotExpired(dataset);
    const received = await receivedParts(this.deps.objects, upload, open);
    const wanted = requested ?? firstParts(planOf(upload), received);
    checkPartNumbers(upload, wanted);
    return { dataset, received, urls: open ? await this.sign(dataset, wanted) : [] };
  }

  /**
   * Assembles the parts and waits, up to the deadline, for the inspection (datasets up to
   * INLINE_CHECK_BYTES, functions/uploads/inline-check.ts; larger ones are left to the storage event). Calling it again after a
   * timeout or a lost answer picks up where it stopped. Answers with the dataset as it stands:
   * ready, pending (still being inspected) or rejected; 409 once it was aborted.
   */
  async complete(actor: Actor, id: string, uploadId: string, deadline: number): Promise<DatasetRecord> {
    const dataset = await this.session(actor, id, uploadId);
    if (dataset.status !== 'pending') return this.answered(dataset);
    if (dataset.upload.state === 'aborted') throw conflict('upload_aborted', `Upload ${uploadId} was aborted; create the dataset again`);
    if (dataset.upload.state === 'open') this.checkNotExpired(dataset);
    const { objects, datasets, finalizer } = this.deps;
    if ((await objects.stat(dataset.dataKey)) === undefined) {
      try {
        await assembleParts(objects, dataset.upload, 'dataset');
      } catch (error) {
        // A lost race is no fault: another complete assembled the parts, or the dataset ended.
        const now = await this.current(id);
        if (now.status !== 'pending') return this.answered(now);
        if ((await objects.stat(dataset.dataKey)) === undefined) throw error;
      }
    }
    await datasets.setUploadState(id, 'open', 'completed', this.now().toISOString());
    await checkWhileWaiting(dataset.size, deadline, (until) => finalizer.finalize(id, `complete:${uploadId}`, { until }));
    return this.answered(await this.current(id));
  }

  /**
   * Ends a pending upload: the dataset becomes aborted and its bytes go. One no longer pending
   * (ready, rejected) is not touched: 409 says what it became.
   */
  async abort(actor: Actor, id: string, uploadId: string): Promise<DatasetRecord> {
    const dataset = await this.session(actor, id, uploadId);
    if (dataset.status === 'aborted') return dataset;
    const now = this.now().toISOString();
    const ended = await this.deps.datasets.transition(id, ['pending'], { status: 'aborted', reason: `Upload ${uploadId} was aborted` }, now, { unclaimedAt: now });
    if (!ended) {
      const current = await this.current(id);
      if (current.status === 'aborted') return current;
      if (current.status === 'pending') throw conflict('upload_checking', `Dataset ${id} is being inspected; ask again in a moment`);
      throw conflict('upload_completed', `Upload ${uploadId} already ended: dataset ${id} is ${current.status}${current.status === 'ready' ? `; delete it with DELETE /datasets/${id}` : ''}`);
    }
    await this.deps.datasets.setUploadState(id, 'open', 'aborted', now);
    await endUploadBytes(this.deps.objects, dataset.dataKey, dataset.upload);
    return this.current(id);
  }

  private answered(dataset: DatasetRecord): DatasetRecord {
    if (dataset.status === 'aborted') throw conflict('upload_aborted', `${dataset.reason ?? `Upload ${dataset.upload.id} was aborted`}; create the dataset again`);
    return dataset;
  }

  private async current(id: string): Promise<DatasetRecord> {
    const dataset = await this.deps.datasets.get(id);
    if (!dataset) throw datasetNotFound(id);
    return dataset;
  }

  /** The dataset, if the caller may upload to it and `uploadId` is its upload's (404 upload_not_found otherwise). */
  private async session(actor: Actor, id: string, uploadId: string): Promise<DatasetRecord> {
    const dataset = await loadAuthorizedDataset(this.deps.datasets, actor, id, 'upload');
    if (dataset.upload.id !== uploadId) throw notFound('upload_not_found', `Dataset '${id}' has no upload ${uploadId.slice(0, 40)}`);
    return dataset;
  }

  private checkNotExpired(dataset: DatasetRecord): void {
    if (dataset.upload.expiresAt <= this.now().toISOString()) {
      throw conflict('upload_expired', `Upload ${dataset.upload.id} expired at ${dataset.upload.expiresAt}; create the dataset again`);
    }
  }

  private sign(dataset: DatasetRecord, parts: readonly number[]): Promise<PartUrl[]> {
    return signParts(this.deps.objects, dataset.upload, parts, this.deps.limits.presignSeconds);
  }
}
