import { atLeast, type AccessLevel } from '../access/access-policy';
import type { Grant } from '../access/access-settings';
import { verdictForModelCache } from '../bundles/builtin-runtime';
import type { BundleManifest } from '../bundles/bundle-manifest';
import { doiIn } from '../contracts/scholarly-metadata';
import { modelCodePolicy } from '../frameworks/model-code';
import { servingPath, servingView } from '../frameworks/serving-path';
import { builtinModelBytes } from '../platform/function-config';
import type { ModelRecord } from './model-records';
import type { Publication } from '../publishing/publication';
import type { TensorSpec } from '../signatures/model-signature';
import type { VersionRecord } from '../versions/version-records';

/** The ETag of a model record: its metadata revision. */
export const modelEtag = (model: ModelRecord): string => `"${model.revision}"`;

/**
 * Whether the built-in ONNX Runtime can run a ready bundle: `{"runnable": true, "model_file"}` or
 * `{"runnable": false, "reason"}`, as predict decides now, with a model cache of `maxModelBytes`
 * (the size of model files is checked against the current setting, not the one at upload).
 */
function builtinRuntimeView(manifest: BundleManifest, maxModelBytes: number) {
  const verdict = verdictForModelCache(manifest, maxModelBytes);
  return verdict.runnable ? { runnable: true, model_file: verdict.modelFiles[0] ?? null } : { runnable: false, reason: verdict.reason };
}

/**
 * The path the version's predictions take (the Serving component): built-in, deployable (with the
 * framework), remote, or none with the reason; null while its bundle is unchecked. `meta`: its
 * model's metadata, whose `backend` makes it remote.
 */
function servingOf(manifest: BundleManifest | undefined, maxModelBytes: number, meta: Readonly<Record<string, unknown>> | undefined) {
  if (!manifest) return null;
  const builtinRunnable = verdictForModelCache(manifest, maxModelBytes).runnable;
  const modelCode = modelCodePolicy();
  return servingView(servingPath(manifest, { builtinRunnable, ...(meta ? { meta } : {}), ...(modelCode ? { modelCode } : {}) }));
}

/** Why a checked version has no signature, when it was checked before signatures were recorded. */
export const SIGNATURE_NOT_RECORDED = 'The version was checked before MLHub recorded signatures';

/**
 * A version's signature (the Signature component) and, when it has none, why: null for both
 * while its bundle is unchecked (pending, rejected, aborted).
 */
function signatureView(manifest: BundleManifest | undefined): { signature: { source: string; inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] } | null; signature_reason: string | null } {
  if (!manifest) return { signature: null, signature_reason: null };
  const finding = manifest.signature;
  if (!finding) return { signature: null, signature_reason: SIGNATURE_NOT_RECORDED };
  if (finding.signature === null) return { signature: null, signature_reason: finding.reason };
  return { signature: { source: finding.source, inputs: finding.signature.inputs, outputs: finding.signature.outputs }, signature_reason: null };
}

/** The DOI's state at the agency, as far as MLHub knows it (the Publication component's doi_state). */
function doiStateOf(publication: Publication): 'findable' | 'registered' | null {
  if (publication.state === 'published') return 'findable';
  if (publication.state === 'withdrawn' && publication.hiddenAt !== undefined) return publication.registered === false ? null : 'registered';
  return null;
}

/** A version's publication as the API shows it (the Publication component). */
export function publicationView(publication: Publication) {
  return {
    state: publication.state,
    doi: publication.doi,
    doi_url: `https://doi.org/${publication.doi}`,
    concept_doi: publication.conceptDoi,
    requested: publication.requestedAt,
    requested_by: publication.requestedBy,
    published: publication.publishedAt ?? null,
    reason: publication.state === 'publish_failed' ? publication.reason ?? null : null,
    doi_state: doiStateOf(publication),
    withdrawn: publication.withdrawnAt ?? null,
    withdrawal_reason: publication.withdrawalReason ?? null,
  };
}

/**
 * A version as the API shows it. `maxModelBytes`: the predict function's model cache size, by
 * default MLHUB_MODEL_CACHE_BYTES as this function is told it (the stack tells every function
 * that shows versions the predict function's value).
 */
export function versionView(version: VersionRecord, maxModelBytes: number = builtinModelBytes(), meta?: Readonly<Record<string, unknown>>) {
  const manifest = version.manifest;
  return {
    version: version.version,
    status: version.status,
    sha256: version.sha256 || null,
    size: version.size,
    created: version.createdAt,
    created_by: version.createdBy,
    filename: version.filename ?? null,
    framework: manifest?.framework ?? null,
    file_count: manifest?.fileCount ?? null,
    unpacked_bytes: manifest?.unpackedBytes ?? null,
    builtin_runtime: manifest ? builtinRuntimeView(manifest, maxModelBytes) : null,
    serving: servingOf(manifest, maxModelBytes, meta),
    ...signatureView(manifest),
    ...(version.status === 'rejected' || version.status === 'aborted' || version.status === 'deleted'
      ? { reason: version.reason ?? null, ...(version.endedAt ? { ended: version.endedAt, ended_by: version.endedBy ?? null } : {}) }
      : {}),
    publication: version.publication ? publicationView(version.publication) : null,
  };
}

/**
 * The model's related identifiers, with the original MLHub's `reference` as one more when it
 * holds a DOI (as `References`), unless the list already names that DOI.
 */
export function relatedIdentifiersOf(model: ModelRecord) {
  const listed = model.related_identifiers ?? [];
  const doi = doiIn(model.reference);
  if (!doi || listed.some((related) => related.identifier_type === 'DOI' && related.identifier.toLowerCase() === doi.toLowerCase())) return listed;
  return [...listed, { identifier: doi, identifier_type: 'DOI' as const, relation_type: 'References' as const }];
}

export function modelSummaryView(model: ModelRecord) {
  return {
    model: model.name,
    type: model.type,
    meta: model.meta,
    description: model.description ?? null,
    reference: model.reference ?? null,
    discipline: model.discipline ?? null,
    title: model.title ?? null,
    authors: model.authors ?? [],
    license: model.license ?? null,
    keywords: model.keywords ?? [],
    task: model.task ?? null,
    related_identifiers: relatedIdentifiersOf(model),
    funding: model.funding ?? [],
    owner: model.owner,
    visibility: model.visibility,
    created: model.createdAt,
    updated: model.updatedAt,
    revision: model.revision,
    latest_version: model.latestVersion ?? null,
  };
}

export const grantView = (grant: Grant) => ({ user: grant.user, role: grant.role, granted: grant.grantedAt, granted_by: grant.grantedBy });

export function accessView(access: { name: string; owner: string; visibility: string; grants: readonly Grant[] }) {
  return { model: access.name, owner: access.owner, visibility: access.visibility, grants: access.grants.map(grantView) };
}

/** The full record. Who else has access is shown only to those who may see the sharing settings. */
export function modelView(model: ModelRecord, versions: readonly VersionRecord[], access?: { level: AccessLevel; grants: readonly Grant[] }) {
  const showGrants = access !== undefined && atLeast(access.level, 'write');
  return {
    ...modelSummaryView(model),
    ...(showGrants ? { grants: access.grants.map(grantView) } : {}),
    versions: versions.map((version) => versionView(version, builtinModelBytes(), model.meta)),
    ...publishedDois(versions),
  };
}

/** The newest published version's DOI, and the model's concept DOI once any version is published (it resolves after a withdrawal too). */
export function publishedDois(versions: readonly Pick<VersionRecord, 'version' | 'publication'>[]): { doi: string | null; concept_doi: string | null } {
  const published = versions.filter((version) => version.publication?.state === 'published').sort((a, b) => b.version - a.version);
  const resolving = versions.find((version) => version.publication?.state === 'published' || version.publication?.state === 'withdrawn');
  return { doi: published[0]?.publication?.doi ?? null, concept_doi: resolving?.publication?.conceptDoi ?? null };
}
