import { transferView } from '../uploads/upload-transfer';
import type { DatasetRecord } from './dataset-records';
import type { DatasetUploadStatus } from './dataset-uploads';

export const datasetPath = (id: string): string => `/datasets/${id}`;
const uploadPath = (dataset: DatasetRecord): string => `${datasetPath(dataset.id)}/uploads/${dataset.upload.id}`;

/** A dataset's upload without its parts: the fields a model upload's session shows (upload-views.ts), for the same client code. */
function uploadSessionView(dataset: DatasetRecord) {
  const { upload } = dataset;
  const { mode, part_size, part_count } = transferView(upload, [], []);
  return {
    upload_id: upload.id,
    dataset: dataset.id,
    state: upload.state,
    size: upload.size,
    sha256: upload.sha256 ?? null,
    mode,
    part_size,
    part_count,
    expires: upload.expiresAt,
    status_url: uploadPath(dataset),
    complete_url: `${uploadPath(dataset)}/complete`,
  };
}

/** The Dataset component (functions/contracts/dataset-contracts.ts). */
export function datasetView(dataset: DatasetRecord) {
  return {
    id: dataset.id,
    owner: dataset.owner,
    filename: dataset.filename,
    size: dataset.size,
    sha256: dataset.sha256 ?? null,
    format: dataset.format ?? null,
    compression: dataset.compression ?? null,
    status: dataset.status,
    reason: dataset.reason ?? null,
    schema: dataset.schema ?? null,
    row_count: dataset.rowCount ?? null,
    visibility: dataset.visibility,
    created: dataset.createdAt,
    updated: dataset.updatedAt,
    upload: uploadSessionView(dataset),
  };
}

/** The DatasetUploadStatus component: the upload, the parts S3 holds, and URLs for the next ones. */
export function datasetUploadStatusView(status: DatasetUploadStatus) {
  const { received, urls } = transferView(status.dataset.upload, status.received, status.urls);
  return { ...uploadSessionView(status.dataset), received, urls };
}
