import {
  CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DeleteEndpointCommand, DeleteEndpointConfigCommand,
  DeleteModelCommand, DescribeEndpointCommand, type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { AppError } from '../errors/app-error';

/** Everything one endpoint is made of (deployment-records.ts names it). */
export interface EndpointPlan {
  /** The name of the model, the endpoint configuration and the endpoint. */
  readonly name: string;
  /** The framework's serving image URI. */
  readonly image: string;
  /** The bundle's S3 object (s3://bucket/key): SageMaker unpacks it, a .tar.gz already, into /opt/ml/model. */
  readonly modelDataUrl: string;
  /** The framework's scripts archive (s3://…tar.gz holding inference.py and mlhub_serving/). */
  readonly scriptsUri: string;
  readonly roleArn: string;
  readonly memoryMb: number;
  readonly maxConcurrency: number;
  readonly allowPickles: boolean;
}

/** SageMaker's endpoint states, as MLHub's deployment states; `gone` when SageMaker has no such endpoint. */
export type EndpointStatus =
  | { readonly state: 'creating' | 'in_service' | 'deleting' | 'gone' }
  | { readonly state: 'failed'; readonly reason: string };

/** The entry script the framework containers run, and the one each scripts archive holds. */
export const SAGEMAKER_PROGRAM = 'inference.py';

/** The AdditionalModelDataSources channel that carries MLHub's scripts into the container. */
export const SCRIPTS_CHANNEL = 'mlhub-scripts';

/**
 * Where SageMaker puts that channel in the container (/opt/ml/additional-model-data-sources/<channel>),
 * unpacked before the container starts. With network isolation the container cannot fetch an s3://
 * SAGEMAKER_SUBMIT_DIRECTORY itself, but the toolkits take a local folder there too
 * (sagemaker-containers' download_and_extract copies a directory), and PYTHONPATH carries it to
 * the inference toolkit (PyTorch), which imports inference.py from the path.
 */
export const SCRIPTS_PATH = `/opt/ml/additional-model-data-sources/${SCRIPTS_CHANNEL}`;

interface ServiceError {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/**
 * SageMaker answers ValidationException for both a name that exists and one that does not, and
 * only the message tells them apart ("Cannot create already existing …", "Could not find …").
 */
const alreadyExists = (error: unknown): boolean => /already exist/i.test((error as ServiceError)?.message ?? '');
const notFound = (error: unknown): boolean => (error as ServiceError)?.name === 'ResourceNotFound' || /could not find|does not exist|not found/i.test((error as ServiceError)?.message ?? '');

/** A refusal or failure of SageMaker's, as 502 deploy_failed naming the call, its error and message. */
function deployFailed(call: string, error: unknown): AppError {
  const service = error as ServiceError;
  const status = service?.$metadata?.httpStatusCode;
  const what = status === undefined ? `could not be sent (${service?.message ?? String(error)})` : `failed: ${service.name ?? 'error'}: ${service.message ?? `HTTP ${status}`}`;
  return new AppError('bad_gateway', 'deploy_failed', `SageMaker ${call} ${what}`, { cause: error });
}

/** SageMaker's EndpointStatus in MLHub's terms (Creating, Updating, SystemUpdating, RollingBack count as creating). */
function statusOf(status: string | undefined, reason: string | undefined): EndpointStatus {
  switch (status) {
    case 'InService': return { state: 'in_service' };
    case 'Failed': return { state: 'failed', reason: reason || 'SageMaker gave no reason' };
    case 'Deleting': return { state: 'deleting' };
    default: return { state: 'creating' };
  }
}

/**
 * SageMaker's control plane for MLHub's endpoints. Every call is safe to repeat: creating what
 * exists, or deleting what is gone, counts as done, so a retried request finishes what an earlier
 * one began and never makes a second endpoint.
 */
export class SageMakerDeployer {
  constructor(private readonly client: SageMakerClient) {}

  /** CreateModel, CreateEndpointConfig (serverless) and CreateEndpoint; errors: 502 deploy_failed. */
  async create(plan: EndpointPlan): Promise<void> {
    await this.idempotent('CreateModel', () => this.client.send(new CreateModelCommand({
      ModelName: plan.name,
      ExecutionRoleArn: plan.roleArn,
      // The bundle is someone's code and data: its container reaches nothing, S3 included (SageMaker fetches the model data).
      EnableNetworkIsolation: true,
      PrimaryContainer: {
        Image: plan.image,
        ModelDataUrl: plan.modelDataUrl,
        // SageMaker fetches the scripts archive as it fetches the bundle, and unpacks it (Gzip) at SCRIPTS_PATH.
        AdditionalModelDataSources: [{
          ChannelName: SCRIPTS_CHANNEL,
          S3DataSource: { S3Uri: plan.scriptsUri, S3DataType: 'S3Object', CompressionType: 'Gzip' },
        }],
        Environment: {
          SAGEMAKER_PROGRAM,
          SAGEMAKER_SUBMIT_DIRECTORY: SCRIPTS_PATH,
          PYTHONPATH: SCRIPTS_PATH,
          // Explicit either way: the scripts refuse pickles unless this says 1 (the stack's endpointPickles);
          // under both names, for scripts archives that read only the earlier one.
          MLHUB_ALLOW_MODEL_CODE: plan.allowPickles ? '1' : '0',
          MLHUB_ALLOW_PICKLES: plan.allowPickles ? '1' : '0',
        },
      },
    })));
    await this.idempotent('CreateEndpointConfig', () => this.client.send(new CreateEndpointConfigCommand({
      EndpointConfigName: plan.name,
      ProductionVariants: [{
        VariantName: 'AllTraffic',
        ModelName: plan.name,
        ServerlessConfig: { MemorySizeInMB: plan.memoryMb, MaxConcurrency: plan.maxConcurrency },
      }],
    })));
    await this.idempotent('CreateEndpoint', () => this.client.send(new CreateEndpointCommand({ EndpointName: plan.name, EndpointConfigName: plan.name })));
  }

  /** DescribeEndpoint: its state, and SageMaker's FailureReason when it failed; errors: 502 deploy_failed. */
  async describe(name: string): Promise<EndpointStatus> {
    try {
      const answer = await this.client.send(new DescribeEndpointCommand({ EndpointName: name }));
      return statusOf(answer.EndpointStatus, answer.FailureReason);
    } catch (error) {
      if (notFound(error)) return { state: 'gone' };
      throw deployFailed('DescribeEndpoint', error);
    }
  }

  /** DeleteEndpoint, DeleteEndpointConfig and DeleteModel; each already gone counts as deleted. Errors: 502 deploy_failed. */
  async teardown(name: string): Promise<void> {
    await this.removing('DeleteEndpoint', () => this.client.send(new DeleteEndpointCommand({ EndpointName: name })));
    await this.removing('DeleteEndpointConfig', () => this.client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })));
    await this.removing('DeleteModel', () => this.client.send(new DeleteModelCommand({ ModelName: name })));
  }

  private async idempotent(call: string, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (!alreadyExists(error)) throw deployFailed(call, error);
    }
  }

  private async removing(call: string, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (!notFound(error)) throw deployFailed(call, error);
    }
  }
}
