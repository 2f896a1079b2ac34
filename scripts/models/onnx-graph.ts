import onnxProto from 'onnx-proto';

/**
 * Writes ONNX models from TypeScript: a thin layer over onnx-proto, the protobuf classes
 * generated from ONNX's own onnx.proto3. Enough for small graphs with fixed weights, such as
 * the demo classifier and the models tests build; no Python or apt packages needed.
 */
const { onnx } = onnxProto;

export type ElementType = 'float16' | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool';

const DATA_TYPES: Readonly<Record<ElementType, number>> = {
  float16: onnx.TensorProto.DataType.FLOAT16,
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int8: onnx.TensorProto.DataType.INT8,
  int16: onnx.TensorProto.DataType.INT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  uint8: onnx.TensorProto.DataType.UINT8,
  uint16: onnx.TensorProto.DataType.UINT16,
  uint32: onnx.TensorProto.DataType.UINT32,
  uint64: onnx.TensorProto.DataType.UINT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export const dataType = (type: ElementType): number => DATA_TYPES[type];

/** A graph input or output; string dims are symbolic (`'N'` for a dynamic batch). */
export interface ValueSpec {
  readonly name: string;
  readonly type: ElementType;
  readonly shape: readonly (number | string)[];
}

export type AttributeValue = { readonly int: number } | { readonly ints: readonly number[] } | { readonly float: number };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A constant tensor baked into the graph (weights, biases, axes). */
export interface InitializerSpec {
  readonly name: string;
  readonly type: 'float32' | 'int64';
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

export interface GraphSpec {
  readonly name: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly InitializerSpec[];
  /** Default 13: ReduceSum takes its axes as an input, Softmax works on one axis. */
  readonly opset?: number;
}

function valueInfo(value: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: dataType(value.type),
        shape: { dim: value.shape.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: types.INT, i: value.int };
  if ('ints' in value) return { name, type: types.INTS, ints: [...value.ints] };
  return { name, type: types.FLOAT, f: value.float };
}

function initializer(spec: InitializerSpec): onnxProto.onnx.ITensorProto {
  const base = { name: spec.name, dims: [...spec.dims], dataType: dataType(spec.type) };
  return spec.type === 'float32' ? { ...base, floatData: [...spec.values] } : { ...base, int64Data: [...spec.values] };
}

/** The serialised model, ready to write as model.onnx or to hand to ONNX Runtime. */
export function onnxModel(graph: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'mlhub-scripts',
    opsetImport: [{ domain: '', version: graph.opset ?? 13 }],
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: (graph.initializers ?? []).map(initializer),
      node: graph.nodes.map((node, index) => ({
        name: `${node.op.toLowerCase()}_${index}`,
        opType: node.op,
        input: [...node.inputs],
        output: [...node.outputs],
        attribute: Object.entries(node.attributes ?? {}).map(([name, value]) => attribute(name, value)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
