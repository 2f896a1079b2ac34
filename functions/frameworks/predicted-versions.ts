import type { Actor } from '../identity/actor';
import { isWithdrawn } from '../publishing/tombstones';
import type { ModelRecord } from '../registry/model-records';
import type { ReadyVersion } from '../registry/ready-version-cache';
import type { VersionRecord } from '../versions/version-records';
import type { VersionStore } from '../versions/version-store';
import { settleDeployment, type DeploymentSettlingDeps } from './deployment-settling';

/** The version a prediction runs on; `latest` is the latest ready version when it was passed over for a deployed one. */
export interface PredictedVersion extends ReadyVersion {
  readonly latest?: number;
}

export interface PredictedVersionDeps extends DeploymentSettlingDeps {
  /** The ready version named, or the latest ready one (ReadyVersions.readyVersion: its refusals are predict's). */
  readonly readyVersion: (actor: Actor, name: string, requested?: number) => Promise<ReadyVersion>;
  readonly versions: DeploymentSettlingDeps['versions'] & Pick<VersionStore, 'list'>;
  /** Whether a version runs only on a deployment of its own: no built-in runtime, meta.backend or default backend serves it (InferenceEngine.needsDeployment). */
  readonly needsDeployment: (model: ModelRecord, version: VersionRecord) => boolean;
  /** Where a DescribeEndpoint that failed is reported; the deployment is then used as recorded. */
  readonly log?: (message: string, error: unknown) => void;
}

/**
 * Which version a prediction runs on, with its deployment as SageMaker has it now:
 * - a version named (`?version=N`) is that version;
 * - otherwise the latest ready version, unless it runs only once deployed and is not in service:
 *   then the latest version whose endpoint is in service, as a SageMaker endpoint keeps serving
 *   until its owner moves it (a push, or a deploy still `creating`, does not stop predictions).
 * A deployment `creating` or `deleting` is settled with DescribeEndpoint (deployment-settling.ts),
 * so a caller who deploys and only predicts never waits for someone to GET …/deploy.
 */
export class PredictedVersions {
  constructor(private readonly deps: PredictedVersionDeps) {}

  async lookup(actor: Actor, name: string, requested?: number): Promise<PredictedVersion> {
    const ready = await this.deps.readyVersion(actor, name, requested);
    const version = await this.settled(ready.version);
    if (requested !== undefined || version.deployment?.state === 'in_service' || !this.deps.needsDeployment(ready.model, version)) return { model: ready.model, version };
    const deployed = await this.latestInService(ready.model, version.version);
    return deployed ? { model: ready.model, version: deployed, latest: version.version } : { model: ready.model, version };
  }

  /** The version with its deployment settled; as recorded when SageMaker cannot be asked (predict then says it is not ready). */
  private async settled(version: VersionRecord): Promise<VersionRecord> {
    const state = version.deployment?.state;
    if (state !== 'creating' && state !== 'deleting') return version;
    try {
      const deployment = await settleDeployment(this.deps, version);
      if (deployment) return { ...version, deployment };
      const { deployment: _cleared, ...rest } = version;
      return rest;
    } catch (error) {
      this.deps.log?.(`The deployment of version ${version.version} of '${version.name}' could not be settled`, error);
      return version;
    }
  }

  /** The newest earlier version of this model (not of an earlier model of its name) whose endpoint is in service. */
  private async latestInService(model: ModelRecord, below: number): Promise<VersionRecord | undefined> {
    const candidates = (await this.deps.versions.list(model.name))
      .filter((version) => version.version < below && version.status === 'ready' && !isWithdrawn(version) && version.createdAt >= model.createdAt)
      .filter((version) => version.deployment?.state === 'in_service' || version.deployment?.state === 'creating')
      .sort((a, b) => b.version - a.version);
    for (const candidate of candidates) {
      const version = await this.settled(candidate);
      if (version.deployment?.state === 'in_service') return version;
    }
    return undefined;
  }
}
