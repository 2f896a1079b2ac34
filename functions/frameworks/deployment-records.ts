import { createHash } from 'node:crypto';
import type { DeployableFramework } from './serving-path';

/**
 * A deployment's life, kept on its version's item (`deployment`), every move a conditional write:
 *
 *   (none) ──▶ creating ──▶ in_service ──▶ deleting ──▶ (none)
 *                  │                          ▲
 *                  └──▶ failed ───────────────┘
 *
 * `creating` and `deleting` are SageMaker's to settle: GET …/deploy reads DescribeEndpoint then.
 */
export type DeploymentState = 'creating' | 'in_service' | 'failed' | 'deleting';

export const DEPLOYMENT_STATES: readonly DeploymentState[] = ['creating', 'in_service', 'failed', 'deleting'];

/** What a version's item records of its endpoint. */
export interface Deployment {
  readonly state: DeploymentState;
  /**
   * The one name of its SageMaker model, endpoint configuration and endpoint (three namespaces):
   * deploymentName(), so a repeated request names the same resources and never makes a second.
   */
  readonly endpoint: string;
  readonly framework: DeployableFramework;
  /** The serving image's URI (container-images.ts). */
  readonly image: string;
  /** ServerlessConfig.MemorySizeInMB. */
  readonly memoryMb: number;
  /** ServerlessConfig.MaxConcurrency. */
  readonly maxConcurrency: number;
  readonly requestedAt: string;
  readonly requestedBy: string;
  /** When the state last changed (ISO 8601). */
  readonly updatedAt: string;
  /** SageMaker's FailureReason for `failed`. */
  readonly reason?: string;
}

/** SageMaker's names: at most 63 characters of letters, digits and single dashes between them. */
const SAGEMAKER_NAME_LIMIT = 63;

/**
 * The name of a version's SageMaker resources: `<prefix><model>-v<n>-<hash>`, the model name
 * reduced to SageMaker's alphabet and shortened so the whole fits 63 characters; the hash (of the
 * model name, version and bundle key, unique to each upload) keeps two models that reduce alike,
 * and a later model of a deleted model's name, apart. The same version always gets the same name.
 */
export function deploymentName(prefix: string, model: string, version: number, bundleKey: string): string {
  const hash = createHash('sha256').update(`${model}\n${version}\n${bundleKey}`).digest('hex').slice(0, 10);
  const tail = `-v${version}-${hash}`;
  const room = SAGEMAKER_NAME_LIMIT - prefix.length - tail.length;
  const slug = model.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, Math.max(0, room)).replace(/-+$/, '');
  return `${prefix}${slug || 'model'}${tail}`.replace(/--+/g, '-');
}
