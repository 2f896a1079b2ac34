import { describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../functions/bundles/bundle-manifest';
import { versionView } from '../../functions/registry/model-views';

type VersionRecord = Parameters<typeof versionView>[0];

const ready = (manifest: BundleManifest): VersionRecord => ({
  name: 'm', version: 1, status: 'ready', sha256: 'a'.repeat(64), size: 10, bundleKey: 'models/m/1/bundle.tar.gz',
  createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'u', manifest,
}) as unknown as VersionRecord;

const manifest = (paths: string[], extra: Partial<BundleManifest> = {}): BundleManifest =>
  ({ root: '', fileCount: paths.length, unpackedBytes: 1024, files: paths.map((path) => ({ path, size: 1 })), ...extra });

describe('versionView: builtin_runtime', () => {
  it('shows the verdict recorded at upload', () => {
    const view = versionView(ready(manifest(['x.onnx'], { builtinRuntime: { runnable: false, reason: 'recorded reason' } })));
    expect(view.builtin_runtime).toEqual({ runnable: false, reason: 'recorded reason' });
  });

  it('works the verdict out by the same rule for a manifest recorded before it existed', () => {
    expect(versionView(ready(manifest(['model.onnx', 'model.onnx_data']))).builtin_runtime).toEqual({ runnable: true, model_file: 'model.onnx' });
    expect(versionView(ready(manifest(['a.onnx', 'b.onnx']))).builtin_runtime).toEqual({ runnable: false, reason: expect.stringMatching(/several \.onnx files/) });
    expect(versionView(ready(manifest(['model.pt']))).builtin_runtime).toEqual({ runnable: false, reason: expect.stringMatching(/holds no \.onnx file/) });
  });

  it('redoes the size rule with the model cache size it is given, whatever the size was at upload', () => {
    const sized = (size: number, builtinRuntime: BundleManifest['builtinRuntime']) => ({ ...manifest([]), files: [{ path: 'model.onnx', size }, { path: 'labels.txt', size: 1 }], builtinRuntime });
    const fittedAtUpload = ready(sized(3000, { runnable: true, modelFiles: ['model.onnx'] }));
    expect(versionView(fittedAtUpload, 3000).builtin_runtime).toEqual({ runnable: true, model_file: 'model.onnx' });
    expect(versionView(fittedAtUpload, 2999).builtin_runtime).toEqual({ runnable: false, reason: expect.stringMatching(/its model files take 3000 bytes, more than the predict function can hold \(2999 bytes, its model cache\)/) });
    const tooLargeAtUpload = ready(sized(3000, { runnable: false, reason: 'too large at upload', modelFiles: ['model.onnx'] }));
    expect(versionView(tooLargeAtUpload, 3000).builtin_runtime).toEqual({ runnable: true, model_file: 'model.onnx' });
    expect(versionView(tooLargeAtUpload, 1000).builtin_runtime).toEqual({ runnable: false, reason: expect.stringMatching(/take 3000 bytes, more than the predict function can hold \(1000 bytes/) });
    // A manifest recorded before verdicts existed gets the size rule too.
    expect(versionView(ready(sized(3000, undefined)), 1000).builtin_runtime).toEqual({ runnable: false, reason: expect.stringMatching(/\(1000 bytes, its model cache\)/) });
  });

  it('is null for a version without a checked bundle', () => {
    const pending = { ...ready(manifest([])), status: 'pending', manifest: undefined } as unknown as VersionRecord;
    expect(versionView(pending).builtin_runtime).toBeNull();
  });
});
