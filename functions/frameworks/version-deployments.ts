import { AppError, conflict, invalid, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { loadAuthorized } from '../registry/authorized-model';
import type { ModelRecord } from '../registry/model-records';
import type { ModelStore } from '../registry/model-store';
import { versionGone } from '../versions/ready-versions';
import type { VersionRecord } from '../versions/version-records';
import type { VersionStore } from '../versions/version-store';
import { containerImage } from './container-images';
import { DEFAULT_MAX_CONCURRENCY, DEFAULT_MEMORY_MB, DEPLOY_ENV, SERVERLESS_MEMORY_SIZES_MB, type DeploySettings } from './deploy-settings';
import { deploymentName, type Deployment } from './deployment-records';
import { settleDeployment } from './deployment-settling';
import type { DeploymentSlots, Slot, SlotHolder } from './deployment-slots';
import type { SageMakerDeployer } from './sagemaker-deployer';
import { modelCodeRefusal } from './model-code';
import { deployableFramework } from './serving-path';

/** What `POST …/deploy` may ask for; each within the stack's limits (DeploySettings). */
export interface DeployRequest {
  readonly memory_mb?: number;
  readonly max_concurrency?: number;
}

export interface VersionDeploymentDeps {
  readonly models: ModelStore;
  readonly versions: VersionStore;
  readonly deployer: SageMakerDeployer;
  /** The slots the caps on deployments are counted in (deployment-slots.ts). */
  readonly slots: DeploymentSlots;
  readonly settings: DeploySettings;
  /** The bundle bucket: a version's ModelDataUrl is `s3://<bucket>/<its bundle key>`. */
  readonly bucket: string;
  readonly now?: () => Date;
  /** Where teardown failures during a version's removal are reported (they never stop the removal). */
  readonly log?: (message: string, error: unknown) => void;
}

/** The serverless size asked for, within SageMaker's sizes and the stack's limit; 400 invalid_body naming the field. */
function sizing(request: DeployRequest, settings: DeploySettings): { memoryMb: number; maxConcurrency: number } {
  const memoryMb = request.memory_mb ?? Math.min(DEFAULT_MEMORY_MB, settings.maxMemoryMb);
  const allowed = SERVERLESS_MEMORY_SIZES_MB.filter((size) => size <= settings.maxMemoryMb);
  if (!(allowed as readonly number[]).includes(memoryMb)) {
    throw invalid('invalid_body', `memory_mb must be one of ${allowed.join(', ')} (SageMaker serverless sizes up to this deployment's ${DEPLOY_ENV.maxMemoryMb}), got ${memoryMb}`);
  }
  const maxConcurrency = request.max_concurrency ?? Math.min(DEFAULT_MAX_CONCURRENCY, settings.maxConcurrency);
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > settings.maxConcurrency) {
    throw invalid('invalid_body', `max_concurrency must be a whole number from 1 to ${settings.maxConcurrency} (this deployment's ${DEPLOY_ENV.maxConcurrency}), got ${maxConcurrency}`);
  }
  return { memoryMb, maxConcurrency };
}

/**
 * The deployment a version has, when the request asks for nothing else: a setting the request
 * names and the deployment does not have is 409 deployment_exists, whose message gives the current settings.
 */
function sameSettings(version: VersionRecord, deployment: Deployment, request: DeployRequest): Deployment {
  const differs = (request.memory_mb !== undefined && request.memory_mb !== deployment.memoryMb)
    || (request.max_concurrency !== undefined && request.max_concurrency !== deployment.maxConcurrency);
  if (!differs) return deployment;
  throw new AppError('conflict', 'deployment_exists',
    `Version ${version.version} of model '${version.name}' is deployed already with memory_mb ${deployment.memoryMb} and max_concurrency ${deployment.maxConcurrency}; a serverless endpoint's size is fixed: DELETE /model/${version.name}/versions/${version.version}/deploy, then deploy again with the new settings`);
}

/**
 * Deploying a version to its own SageMaker serverless endpoint, reading its state, and tearing it
 * down. The deployment lives on the version's item (deployment-records.ts); SageMaker's calls are
 * each safe to repeat (sagemaker-deployer.ts), and the endpoint's name is fixed per version, so a
 * retried request finishes the first and never makes a second endpoint.
 */
export class VersionDeployments {
  private readonly now: () => Date;

  constructor(private readonly deps: VersionDeploymentDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Deploys a ready version (owner only): takes its slots under the caps (settings.maxPerModel
   * endpoints per model, settings.maxPerOwner per user who owns them), records it `creating` and
   * asks SageMaker for the model, serverless endpoint configuration and endpoint. A version with a
   * deployment gets it back (`created: false`), its creation carried on if it is still `creating`,
   * when the request asks for nothing else; a request for other settings is refused (409
   * deployment_exists, with the current settings), since SageMaker's serverless size is fixed per
   * endpoint configuration: undeploy, then deploy again with the new size.
   *
   * Errors: 404 model_not_found / version_not_found, 403 forbidden, 410 version_gone, 409
   * version_not_ready, not_deployable (the reason; a version the built-in runtime serves needs no
   * deploy), deployment_exists, deployment_failed, deployment_deleting, model_deployment_limit,
   * user_deployment_limit; 400 invalid_body (memory_mb, max_concurrency); 503
   * deploy_not_configured; 502 deploy_failed (then the deployment is `failed` with SageMaker's message).
   */
  async deploy(actor: Actor, name: string, number: number, request: DeployRequest): Promise<{ deployment: Deployment; created: boolean }> {
    const { model, version } = await this.liveVersion(actor, name, number, 'deploy');
    const { settings } = this.deps;
    // A bad request is refused as such, whether or not the version is deployed already.
    const { memoryMb, maxConcurrency } = sizing(request, settings);
    if (version.status !== 'ready' || !version.manifest) throw conflict('version_not_ready', `Version ${number} of model '${name}' is ${version.status}, not ready to deploy`);
    if (version.deployment?.state === 'deleting') {
      // An undeploy leaves the deployment `deleting` until someone reads it: settle it here as GET
      // and predict do, so a deploy after an undeploy goes ahead once the endpoint is gone.
      const current = await settleDeployment({ versions: this.deps.versions, deployer: this.deps.deployer, now: this.now }, version);
      if (current) return { deployment: await this.resume(model, version, sameSettings(version, current, request)), created: false };
    } else if (version.deployment) {
      return { deployment: await this.resume(model, version, sameSettings(version, version.deployment, request)), created: false };
    }
    const found = deployableFramework(version.manifest);
    if ('reason' in found) {
      // The framework reason would say the bundle has no .onnx file: true of deploying, false of the bundle.
      if (version.manifest.builtinRuntime?.runnable) {
        throw conflict('not_deployable', `Version ${number} of model '${name}' runs in MLHub's built-in ONNX Runtime and needs no deploy: POST /model/${name}/predict runs it as it is`);
      }
      throw conflict('not_deployable', found.reason);
    }
    // Known before anything is created: an endpoint that could only fail would hold a cap slot.
    const refusal = modelCodeRefusal(found.framework, { allowed: settings.allowPickles, localWorkers: settings.localWorkers }, found.modelFile);
    if (refusal) throw conflict('not_deployable', refusal);
    const scriptsUri = settings.scripts[found.framework];
    if (!settings.roleArn || !scriptsUri) {
      throw new AppError('unavailable', 'deploy_not_configured', `This deployment cannot create endpoints: it has no ${settings.roleArn ? `${found.framework} scripts archive (${DEPLOY_ENV.scripts})` : `SageMaker execution role (${DEPLOY_ENV.roleArn})`}`);
    }
    const image = containerImage(found.framework, settings.region);
    const now = this.now().toISOString();
    const deployment: Deployment = {
      state: 'creating', endpoint: deploymentName(settings.prefix, name, number, version.bundleKey), framework: found.framework, image: image.uri,
      memoryMb, maxConcurrency, requestedAt: now, requestedBy: actor.id, updatedAt: now,
    };
    // The deployment is written before its slots are taken, and cleared if they cannot be: a slot
    // then always has its deployment on its version, so freeStaleSlots never frees the slot of a
    // deploy still in progress (which let concurrent deploys exceed the caps).
    const begun = await this.deps.versions.beginDeployment(name, number, deployment);
    if (begun !== 'started') {
      const current = await this.deps.versions.get(name, number);
      if (begun === 'exists' && current?.deployment) return { deployment: await this.resume(model, current, sameSettings(current, current.deployment, request)), created: false };
      throw conflict('version_not_ready', `Version ${number} of model '${name}' is no longer ready to deploy`);
    }
    try {
      await this.takeSlots(model, this.slotOf(version, deployment));
    } catch (error) {
      // Nothing was created at SageMaker: the deployment is forgotten the way a deleted one is.
      await this.deps.versions.moveDeployment(name, number, deployment.endpoint, ['creating'], 'deleting', now);
      await this.deps.versions.clearDeployment(name, number, deployment.endpoint);
      throw error;
    }
    await this.create({ ...version, deployment }, deployment);
    await this.undoIfTornDown(name, number, deployment);
    return { deployment, created: true };
  }

  /**
   * An undeploy, or the version's delete, that ran while SageMaker was being asked to create the
   * endpoint may have deleted it before it existed: the endpoint would then serve (and cost) a
   * version that has no deployment. Read again once it is created, and deleted again if so.
   */
  private async undoIfTornDown(name: string, number: number, deployment: Deployment): Promise<void> {
    const now = await this.deps.versions.get(name, number);
    const kept = now?.status === 'ready' && now.deployment?.endpoint === deployment.endpoint && now.deployment.state !== 'deleting';
    if (kept) return;
    await this.deps.deployer.teardown(deployment.endpoint);
    throw conflict('deployment_deleting', `Version ${number} of model '${name}' was undeployed or deleted while it was being deployed; its endpoint ${deployment.endpoint} is deleted`);
  }

  /**
   * The model's slot, then its owner's, each under its cap; a slot one holder gave is handed back
   * when the next is full. A holder whose slots are full has them checked against the versions
   * first: a slot whose version no longer holds that deployment (its teardown was cut short) is
   * given back. Returns the holders whose slot this call newly took.
   */
  private async takeSlots(model: ModelRecord, slot: Slot): Promise<SlotHolder[]> {
    const { settings, slots } = this.deps;
    const caps: [SlotHolder, number, 'model_deployment_limit' | 'user_deployment_limit', string][] = [
      [{ model: model.name }, settings.maxPerModel, 'model_deployment_limit', `Model '${model.name}' has ${settings.maxPerModel} deployed version(s), this deployment's limit per model (${DEPLOY_ENV.maxPerModel})`],
      [{ owner: model.owner }, settings.maxPerOwner, 'user_deployment_limit', `The owner of '${model.name}' has ${settings.maxPerOwner} deployed version(s), this deployment's limit per user (${DEPLOY_ENV.maxPerOwner})`],
    ];
    const taken: SlotHolder[] = [];
    for (const [holder, cap, code, message] of caps) {
      let outcome = await slots.take(holder, slot, cap);
      if (outcome === 'full' && await this.freeStaleSlots(holder)) outcome = await slots.take(holder, slot, cap);
      if (outcome === 'full') {
        await this.releaseSlots(taken, slot);
        // The deployments in the way are the owner's to see: they are all their own models' versions.
        const held = (await slots.held(holder)).map((entry) => `${entry.model} v${entry.version}`).sort();
        throw conflict(code, `${message} (${held.join(', ')}): undeploy one (DELETE /model/{name}/versions/{n}/deploy) before deploying another`);
      }
      if (outcome === 'taken') taken.push(holder);
    }
    return taken;
  }

  private slotOf(version: VersionRecord, deployment: Deployment): Slot {
    return { model: version.name, version: version.version, endpoint: deployment.endpoint };
  }

  /**
   * Gives back the holder's slots whose version no longer holds a live deployment of that endpoint
   * (a deploy writes its deployment before taking its slots); whether any went.
   */
  private async freeStaleSlots(holder: SlotHolder): Promise<boolean> {
    let freed = false;
    for (const held of await this.deps.slots.held(holder)) {
      const version = await this.deps.versions.get(held.model, held.version);
      const live = version?.deployment?.endpoint === held.endpoint && version.deployment.state !== 'deleting' && version.status !== 'deleted' && version.status !== 'aborted';
      if (!live) {
        await this.deps.slots.release(holder, held);
        freed = true;
      }
    }
    return freed;
  }

  private async releaseSlots(holders: readonly SlotHolder[], slot: Slot): Promise<void> {
    for (const holder of holders) await this.deps.slots.release(holder, slot);
  }

  /**
   * The deployment as it stands (anyone who may see the model): while `creating` or `deleting`,
   * SageMaker's DescribeEndpoint settles it (in service, failed with its FailureReason, or gone).
   * Errors: 404 not_deployed (none, or its endpoint is deleted), and the version's own.
   */
  async status(actor: Actor, name: string, number: number): Promise<Deployment> {
    const { version } = await this.liveVersion(actor, name, number, 'view');
    const deployment = await settleDeployment({ versions: this.deps.versions, deployer: this.deps.deployer, now: this.now }, version);
    if (!deployment) throw this.notDeployed(name, number);
    return deployment;
  }

  /**
   * Tears a version's endpoint down (owner only): `deleting`, then DeleteEndpoint,
   * DeleteEndpointConfig and DeleteModel; asking again repeats them (gone counts as deleted).
   * Errors: 404 not_deployed, 502 deploy_failed, and the version's own.
   */
  async undeploy(actor: Actor, name: string, number: number): Promise<Deployment> {
    const { version } = await this.liveVersion(actor, name, number, 'deploy');
    if (!version.deployment) throw this.notDeployed(name, number);
    return this.tearDownDeployment(version, version.deployment);
  }

  /**
   * Tears down the endpoint of a version being deleted or withdrawn, if it has one; never throws
   * (the version's removal goes on), reporting a failure to `log`.
   */
  async removeWith(version: VersionRecord): Promise<void> {
    if (!version.deployment) return;
    try {
      await this.tearDownDeployment(version, version.deployment);
    } catch (error) {
      this.deps.log?.(`The endpoint ${version.deployment.endpoint} of version ${version.version} of '${version.name}' could not be deleted`, error);
    }
  }

  private async tearDownDeployment(version: VersionRecord, deployment: Deployment): Promise<Deployment> {
    const now = this.now().toISOString();
    await this.deps.versions.moveDeployment(version.name, version.version, deployment.endpoint, ['creating', 'in_service', 'failed', 'deleting'], 'deleting', now);
    // An endpoint being deleted counts against no cap; giving a slot back twice changes nothing.
    const model = await this.deps.models.getModelRecord(version.name);
    const slot: Slot = { model: version.name, version: version.version, endpoint: deployment.endpoint };
    await this.releaseSlots([{ model: version.name }, ...(model ? [{ owner: model.owner }] : [])], slot);
    await this.deps.deployer.teardown(deployment.endpoint);
    return { ...deployment, state: 'deleting', updatedAt: now };
  }

  /**
   * A deployment found in place: one still `creating` has its SageMaker calls made again, in case
   * its first request stopped half-way, once its slots are held (taking a held slot again changes
   * nothing; the first request may not have taken them yet, or may yet be refused them).
   */
  private async resume(model: ModelRecord, version: VersionRecord, deployment: Deployment): Promise<Deployment> {
    const where = `Version ${version.version} of model '${version.name}'`;
    switch (deployment.state) {
      case 'creating':
        await this.takeSlots(model, this.slotOf(version, deployment));
        return this.create(version, deployment);
      case 'in_service': return deployment;
      case 'failed': throw conflict('deployment_failed', `${where} failed to deploy (${deployment.reason ?? 'no reason given'}); DELETE its deploy, then deploy again`);
      case 'deleting': throw conflict('deployment_deleting', `${where}'s endpoint is being deleted; deploy again once GET /model/${version.name}/versions/${version.version}/deploy answers 404`);
    }
  }

  private async create(version: VersionRecord, deployment: Deployment): Promise<Deployment> {
    const { settings } = this.deps;
    try {
      await this.deps.deployer.create({
        name: deployment.endpoint,
        image: deployment.image,
        modelDataUrl: `s3://${this.deps.bucket}/${version.bundleKey}`,
        scriptsUri: settings.scripts[deployment.framework] ?? '',
        roleArn: settings.roleArn ?? '',
        memoryMb: deployment.memoryMb,
        maxConcurrency: deployment.maxConcurrency,
        allowPickles: settings.allowPickles,
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'deploy_failed') {
        await this.deps.versions.moveDeployment(version.name, version.version, deployment.endpoint, ['creating'], 'failed', this.now().toISOString(), error.message);
      }
      throw error;
    }
    return deployment;
  }

  /** The version, live: 404 for none, 410 for one deleted or aborted. */
  private async liveVersion(actor: Actor, name: string, number: number, action: 'deploy' | 'view'): Promise<{ model: ModelRecord; version: VersionRecord }> {
    const model = await loadAuthorized(this.deps.models, actor, name, action);
    const version = number <= model.versionCounter ? await this.deps.versions.get(name, number) : undefined;
    if (!version) throw notFound('version_not_found', `Model '${name}' has no version ${number}`);
    if (version.status === 'deleted' || version.status === 'aborted') throw versionGone(version, model);
    return { model, version };
  }

  private notDeployed(name: string, number: number): AppError {
    return notFound('not_deployed', `Version ${number} of model '${name}' is not deployed; POST /model/${name}/versions/${number}/deploy to deploy it`);
  }
}

/** A deployment as the API shows it (the Deployment component). */
export function deploymentView(name: string, number: number, deployment: Deployment) {
  return {
    model: name,
    version: number,
    state: deployment.state,
    endpoint: deployment.endpoint,
    framework: deployment.framework,
    image: deployment.image,
    memory_mb: deployment.memoryMb,
    max_concurrency: deployment.maxConcurrency,
    requested: deployment.requestedAt,
    requested_by: deployment.requestedBy,
    updated: deployment.updatedAt,
    reason: deployment.state === 'failed' ? deployment.reason ?? null : null,
  };
}
