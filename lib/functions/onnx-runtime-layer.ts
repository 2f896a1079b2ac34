import { DockerImage } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, type Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { layerDigest, onnxRuntimeLayerFiles, onnxRuntimePackage, writeLayer, type NodeArchitecture } from './onnx-runtime-layer-contents';

export interface OnnxRuntimeLayerProps {
  /** The architecture of the functions that use it: the layer holds that architecture's binary only. */
  readonly architecture: Architecture;
  readonly runtime: Runtime;
}

const NODE_ARCHITECTURES: Readonly<Record<string, NodeArchitecture>> = {
  [Architecture.ARM_64.name]: 'arm64',
  [Architecture.X86_64.name]: 'x64',
};

/** onnxruntime-node's name (Node's `process.arch`) for a Lambda architecture. */
export function nodeArchitectureOf(architecture: Architecture): NodeArchitecture {
  const name = NODE_ARCHITECTURES[architecture.name];
  if (!name) throw new Error(`onnxruntime-node ships no linux binary for the ${architecture.name} architecture`);
  return name;
}

/**
 * onnxruntime-node as a Lambda layer, built at synth time from node_modules without Docker: the
 * package pruned to the linux binary of one architecture (lib/functions/onnx-runtime-layer-contents.ts),
 * under nodejs/node_modules so that Lambda's NODE_PATH finds it at /opt/nodejs/node_modules. The
 * handlers leave onnxruntime-node out of their bundles and require it from there.
 */
export class OnnxRuntimeLayer extends Construct {
  readonly layerVersion: LayerVersion;

  constructor(scope: Construct, id: string, props: OnnxRuntimeLayerProps) {
    super(scope, id);
    const architecture = nodeArchitectureOf(props.architecture);
    const files = onnxRuntimeLayerFiles(architecture);
    const { dir, version } = onnxRuntimePackage();

    this.layerVersion = new LayerVersion(this, 'Layer', {
      code: Code.fromAsset(dir, {
        // Named by what the layer holds, so an unchanged layer is neither rebuilt nor republished.
        assetHash: layerDigest(files),
        bundling: {
          // Never pulled: local bundling always succeeds or throws, so CDK never falls back to Docker.
          image: DockerImage.fromRegistry('mlhub-bundles-locally'),
          local: {
            tryBundle(outputDir: string): boolean {
              writeLayer(files, outputDir);
              return true;
            },
          },
        },
      }),
      compatibleArchitectures: [props.architecture],
      compatibleRuntimes: [props.runtime],
      license: 'MIT',
      description: `onnxruntime-node ${version}, linux/${architecture} binary only, at /opt/nodejs/node_modules (on NODE_PATH)`,
    });
  }
}
