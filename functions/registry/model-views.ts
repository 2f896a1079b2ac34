import type { ModelRecord, VersionRecord } from './model-records';

/** The ETag of a model record: its metadata revision. */
export const modelEtag = (model: ModelRecord): string => `"${model.revision}"`;

export function versionView(version: VersionRecord) {
  const manifest = version.manifest;
  return {
    version: version.version,
    status: version.status,
    sha256: version.sha256,
    size: version.size,
    created: version.createdAt,
    created_by: version.createdBy,
    filename: version.filename ?? null,
    framework: manifest?.framework ?? null,
    file_count: manifest?.fileCount ?? null,
    unpacked_bytes: manifest?.unpackedBytes ?? null,
  };
}

export function modelSummaryView(model: ModelRecord) {
  return {
    model: model.name,
    type: model.type,
    meta: model.meta,
    description: model.description ?? null,
    reference: model.reference ?? null,
    discipline: model.discipline ?? null,
    owner: model.owner,
    visibility: model.visibility,
    created: model.createdAt,
    updated: model.updatedAt,
    revision: model.revision,
    latest_version: model.latestVersion ?? null,
  };
}

export function modelView(model: ModelRecord, versions: readonly VersionRecord[]) {
  return { ...modelSummaryView(model), versions: versions.map(versionView) };
}
