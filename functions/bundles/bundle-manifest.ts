import type { ModelType } from '../registry/model-type';
import type { SignatureFinding } from '../signatures/model-signature';

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
}

/** A link entry (tar type '2' symbolic, '1' hard), which the archive holds without bytes of its own. */
export interface ManifestLink {
  readonly path: string;
  readonly type: 'symlink' | 'link';
}

/**
 * Whether MLHub's built-in ONNX Runtime can run the bundle (see builtin-runtime.ts). It says
 * nothing about other backends: a model served by SageMaker or TF Serving needs no .onnx file.
 */
export type BuiltinRuntimeVerdict =
  | { readonly runnable: true; /** The .onnx file first, then its external-data files; relative to the root. */ readonly modelFiles: readonly string[] }
  | {
    readonly runnable: false;
    readonly reason: string;
    /**
     * Set when only their size stood in the way (over the predict function's model cache when
     * checked): the model files, as for a runnable bundle, so that the verdict can be worked out
     * again for the cache size in force when it is read (builtin-runtime.ts verdictForModelCache).
     */
    readonly modelFiles?: readonly string[];
  };

/** What a bundle holds, recorded once when the bundle is checked. */
export interface BundleManifest {
  /**
   * The single folder everything sits in (as in `tar cfz mnist.tar.gz mnist`), or '' for the top
   * level. macOS metadata (`._*`, `__MACOSX/`, `.DS_Store`) is left out when finding it.
   */
  readonly root: string;
  /** Entries that are not folders: files and links, macOS metadata included. */
  readonly fileCount: number;
  /**
   * Bytes the whole gzip stream inflates to (every gzip member, the tar's headers and padding, and
   * anything after its end-of-archive blocks), as `gzip -dc | wc -c` counts them.
   */
  readonly unpackedBytes: number;
  /**
   * Regular files, relative to the root, without macOS metadata; at most MANIFEST_FILE_LIST_LIMIT
   * of them. The model files the verdict names, and other .onnx files, come first, so that a
   * shortened list still leads predict to the same model file.
   */
  readonly files: readonly ManifestFile[];
  /**
   * Links named like a model file (`.onnx`), relative to the root, at most MANIFEST_LINK_LIST_LIMIT:
   * the built-in runtime reads regular files only, and a bundle whose model file is a link (as
   * `tar czf` of a Hugging Face snapshot makes) is told that, rather than that it holds no model.
   * Absent from manifests recorded before it existed.
   */
  readonly onnxLinks?: readonly ManifestLink[];
  readonly framework?: ModelType;
  readonly params?: Record<string, unknown>;
  readonly labels?: readonly string[];
  /**
   * The scikit-learn version the bundle's first pickle (.joblib, .pkl, .pickle, at any depth) records
   * (`_sklearn_version`, read from its bytes, never unpickled: frameworks/pickle-sklearn-version.ts).
   * Absent when none records one, and from manifests recorded before it existed.
   */
  readonly sklearnVersion?: string;
  /**
   * The .json files (relative to the root, at most MANIFEST_FILE_LIST_LIMIT) whose first bytes are
   * an XGBoost booster's (frameworks/booster-json.ts): the only .json files taken for one. Absent
   * from manifests recorded before it existed, where any .json but known sidecars counts.
   */
  readonly boosterJson?: readonly string[];
  /**
   * True when the archive's top level holds a `code` entry: unpacked as the model's folder
   * (/opt/ml/model), it is where SageMaker's framework containers look for the uploader's own
   * inference.py (ahead of MLHub's) and a requirements.txt they pip-install at start
   * (sagemaker-inference-toolkit's environment.code_dir). Read over every entry, not the file list.
   */
  readonly containerCodeDir?: true;
  /**
   * The verdict when the bundle was checked. Absent from manifests recorded before it existed;
   * versionView works it out then, and redoes its size rule with the current model cache size.
   */
  readonly builtinRuntime?: BuiltinRuntimeVerdict;
  /**
   * The model's inputs and outputs, read from its ONNX file's graph or params.json
   * (signatures/bundle-signature.ts), or why there are none. Absent from manifests recorded
   * before it existed.
   */
  readonly signature?: SignatureFinding;
}

/** Keeps a version's item far inside DynamoDB's 400 KB, whatever the bundle holds. */
export const MANIFEST_FILE_LIST_LIMIT = 500;
export const MANIFEST_LINK_LIST_LIMIT = 20;
