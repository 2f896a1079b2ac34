import { describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../../functions/bundles/bundle-manifest';
import { SIGNATURE_NOT_RECORDED, versionView } from '../../../functions/registry/model-views';

type VersionRecord = Parameters<typeof versionView>[0];

const base = { root: '', fileCount: 1, unpackedBytes: 1024, files: [{ path: 'model.onnx', size: 1 }] } satisfies BundleManifest;

const version = (manifest: BundleManifest | undefined, status = 'ready'): VersionRecord => ({
  name: 'm', version: 1, status, sha256: 'a'.repeat(64), size: 10, bundleKey: 'models/m/1/bundle.tar.gz',
  createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'u', ...(manifest ? { manifest } : {}),
}) as unknown as VersionRecord;

describe('versionView: signature', () => {
  it('shows the recorded signature with its source', () => {
    const signature = { inputs: [{ name: 'x', datatype: 'FP32' as const, shape: ['N', 3] }], outputs: [{ name: 'y', datatype: null, shape: null }] };
    expect(versionView(version({ ...base, signature: { signature, source: 'onnx' } }))).toMatchObject({ signature: { source: 'onnx', ...signature }, signature_reason: null });
  });

  it('gives the recorded reason when there is none', () => {
    expect(versionView(version({ ...base, signature: { signature: null, reason: 'why not' } }))).toMatchObject({ signature: null, signature_reason: 'why not' });
  });

  it('says a version checked before signatures were recorded has none, and an unchecked one nothing', () => {
    expect(versionView(version(base))).toMatchObject({ signature: null, signature_reason: SIGNATURE_NOT_RECORDED });
    expect(versionView(version(undefined, 'pending'))).toMatchObject({ signature: null, signature_reason: null });
  });
});
