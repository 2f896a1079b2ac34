import { conflict } from '../errors/app-error';
import table from './container-images.json';
import type { DeployableFramework } from './serving-path';

/** One framework's serving image: the framework version it runs and where it is in ECR. */
export interface ContainerImage {
  readonly framework: DeployableFramework;
  readonly version: string;
  /** The full image URI: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>:<tag>`. */
  readonly uri: string;
}

/**
 * The scikit-learn the endpoints unpickle with: the `1.2-1` image's, and Debian 12's python3-sklearn
 * that the local workers run (container-images.json's source note). A pickle written by another
 * version may fail to load or predict differently (InconsistentVersionWarning).
 */
export const SERVING_SKLEARN_VERSION = '1.2.1';

type RegistryGroup = keyof typeof table.registries;

/** ECR's domain: China's regions have their own. */
const ecrDomain = (region: string): string => (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com');

/**
 * AWS's prebuilt inference image for `framework` in `region`, from the table shipped beside this
 * module (container-images.json, which names its source). A region the table lacks answers 409
 * deploy_unavailable, naming the regions it has.
 */
export function containerImage(framework: DeployableFramework, region: string): ContainerImage {
  const entry = table.frameworks[framework];
  const registries: Readonly<Record<string, string>> = table.registries[entry.registries as RegistryGroup];
  const account = registries[region];
  if (account === undefined) {
    throw conflict('deploy_not_configured', `MLHub knows no ${framework} serving image in region ${region}; it has them in ${Object.keys(registries).sort().join(', ')}`);
  }
  return { framework, version: entry.version, uri: `${account}.dkr.ecr.${region}.${ecrDomain(region)}/${entry.repository}:${entry.tag}` };
}
