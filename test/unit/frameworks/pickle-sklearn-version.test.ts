import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE_LIMITS } from '../../../functions/bundles/bundle-limits';
import type { BundleManifest } from '../../../functions/bundles/bundle-manifest';
import { inspectBundle } from '../../../functions/bundles/inspect-bundle';
import { pickleSklearnVersion } from '../../../functions/frameworks/pickle-sklearn-version';
import { servingPath } from '../../../functions/frameworks/serving-path';
import { requirePython } from '../../support/frameworks/python-worker';
import { modelBundle } from '../../support/inference/bundles';

/** A fitted LogisticRegression pickled by Debian's scikit-learn, claiming `version`, in `protocol` (joblib's own writer when `joblib`). */
function pickled(version: string, protocol: number | 'joblib' | 'joblib-zlib' | 'joblib-gzip' | 'joblib-bz2'): Buffer {
  const script = `
import io, pickle, sys, joblib, sklearn.base
from sklearn.linear_model import LogisticRegression
sklearn.base.__version__ = ${JSON.stringify(version)}
model = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]], [0, 1, 0, 1])
out = io.BytesIO()
kind = ${JSON.stringify(String(protocol))}
if kind == 'joblib': joblib.dump(model, out)
elif kind == 'joblib-zlib': joblib.dump(model, out, compress=3)
elif kind == 'joblib-gzip': joblib.dump(model, out, compress=('gzip', 3))
elif kind == 'joblib-bz2': joblib.dump(model, out, compress=('bz2', 3))
else: pickle.dump(model, out, protocol=int(kind))
sys.stdout.buffer.write(out.getvalue())
`;
  const run = spawnSync('/usr/bin/python3', ['-c', script], { maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(run.stderr.toString());
  return run.stdout;
}

/** The bytes in small chunks, so the key and its value fall across chunk edges. */
const chunked = (bytes: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));

describe("a pickle's scikit-learn version, read without unpickling", () => {
  requirePython(['sklearn', 'joblib']);

  it.each([0, 2, 4, 5, 'joblib'] as const)('protocol %s', async (protocol) => {
    const bytes = pickled('1.5.2', protocol);
    expect(await pickleSklearnVersion(Readable.from([bytes]))).toBe('1.5.2');
    for (const size of [7, 16, 17, 33]) expect(await pickleSklearnVersion(chunked(bytes, size))).toBe('1.5.2');
  });

  it('reads zlib- and gzip-compressed joblib files decompressed, as the pickle scan does (review 14b finding 12)', async () => {
    for (const kind of ['joblib-zlib', 'joblib-gzip'] as const) {
      const bytes = pickled('1.5.2', kind);
      expect(await pickleSklearnVersion(Readable.from([bytes]))).toBe('1.5.2');
      expect(await pickleSklearnVersion(chunked(bytes, 17))).toBe('1.5.2');
    }
  });

  it('finds none in a joblib file compressed otherwise (bz2) or bytes that are no pickle', async () => {
    expect(await pickleSklearnVersion(Readable.from([pickled('1.5.2', 'joblib-bz2')]))).toBeUndefined();
    expect(await pickleSklearnVersion(Readable.from([Buffer.from('_sklearn_version then nothing a pickle writes')]))).toBeUndefined();
  });

  it('is recorded in the manifest when a bundle is checked at upload, from the first pickle', async () => {
    const { manifest } = await inspectBundle(Readable.from([await modelBundle({ 'model.joblib': pickled('1.6.1', 'joblib'), 'labels.txt': 'a\nb\n' })]), DEFAULT_BUNDLE_LIMITS);
    expect(manifest.sklearnVersion).toBe('1.6.1');
    expect(servingPath(manifest)).toMatchObject({ path: 'deployable', warning: expect.stringMatching(/scikit-learn 1\.6\.1/) });
  });

  it('makes the serving path warn when the version differs from the endpoints\', and only then', () => {
    const manifest = (sklearnVersion?: string): Pick<BundleManifest, 'files' | 'params' | 'builtinRuntime' | 'sklearnVersion'> =>
      ({ files: [{ path: 'model.joblib', size: 1 }], ...(sklearnVersion ? { sklearnVersion } : {}) });
    expect(servingPath(manifest('1.5.2'))).toMatchObject({ path: 'deployable', framework: 'sklearn', warning: expect.stringMatching(/scikit-learn 1\.5\.2, and endpoints run 1\.2\.1/) });
    expect(servingPath(manifest('1.2.1'))).not.toHaveProperty('warning');
    expect(servingPath(manifest())).not.toHaveProperty('warning');
  });
});
