import { AppError } from '../errors/app-error';
import type { BundleLimits } from '../bundles/bundle-limits';
import type { BundleStore } from '../bundles/bundle-store';
import { bundleKey } from '../bundles/bundle-keys';
import { inspectBundle } from '../bundles/inspect-bundle';
import type { ModelStore } from '../registry/model-store';
import type { VersionStatus } from '../registry/model-records';

export type FinalizeResult = VersionStatus | 'missing' | 'busy';

export interface FinalizerDeps {
  readonly models: ModelStore;
  readonly bundles: BundleStore;
  readonly bundleLimits: BundleLimits;
  readonly now?: () => Date;
}

/** Long enough to stream a very large bundle once; a crashed checker's claim lapses after it. */
const CLAIM_MS = 15 * 60 * 1000;

export interface FinalizeOptions {
  /** When the caller must have finished by: its claim lapses then, so nobody waits on a dead check. */
  readonly until?: Date;
}

/**
 * Turns a pending version whose bytes have arrived into a ready or a rejected one. The object is
 * streamed once: its size and sha256 must match what the upload declared, and it must be a safe
 * .tar.gz within the limits. A rejected version keeps its reason and loses its object. Safe to
 * run again and from several places at once (the S3 event and the client's complete call).
 */
export class VersionFinalizer {
  private readonly now: () => Date;

  constructor(private readonly deps: FinalizerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async finalize(name: string, number: number, claimant: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
    const { models, bundles } = this.deps;
    const version = await models.getVersion(name, number);
    if (!version) {
      // Bytes that arrived after their upload was aborted or their model deleted belong to nothing.
      await bundles.delete(bundleKey(name, number));
      return 'missing';
    }
    // Direct uploads finish their own versions; only presigned sessions are finished here.
    if (version.status !== 'pending' || !version.uploadId) return version.status;
    const stored = await bundles.sizeOf(version.bundleKey);
    if (stored === undefined) return 'pending';
    const now = this.now();
    const until = options.until ?? new Date(now.getTime() + CLAIM_MS);
    if (!(await models.claimFinalization(name, number, claimant, until.toISOString(), now.toISOString()))) return 'busy';

    const session = await models.getUploadSession(name, version.uploadId);
    const declaredSize = session?.size ?? version.size;
    const declaredSha = session?.sha256;
    let reason: string | undefined;
    if (stored !== declaredSize) {
      reason = `The stored bundle is ${stored} bytes, not the ${declaredSize} bytes declared`;
    } else {
      try {
        const inspected = await inspectBundle(await bundles.open(version.bundleKey), this.deps.bundleLimits);
        if (declaredSha && inspected.sha256 !== declaredSha) {
          reason = `The bundle's sha256 is ${inspected.sha256}, not the ${declaredSha} declared`;
        } else if (await models.resolvePendingVersion(name, number, { status: 'ready', sha256: inspected.sha256, size: inspected.size, manifest: inspected.manifest })) {
          const outcome = await models.commitLatestVersion(name, number, this.now().toISOString());
          if (outcome === 'model_gone') await bundles.delete(version.bundleKey);
          return 'ready';
        }
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'invalid_bundle')) throw error;
        reason = error.message;
      }
    }
    if (reason === undefined) return (await models.getVersion(name, number))?.status ?? 'missing';
    await models.resolvePendingVersion(name, number, { status: 'rejected', reason });
    await bundles.delete(version.bundleKey);
    return 'rejected';
  }
}
