import { datatypeOfOnnxElement, noSignature, type Dimension, type SignatureFinding, type TensorSpec } from './model-signature';
import { asInt64, ProtobufError, protobufFields } from './protobuf-fields';
import { ProtobufScan, type MessagePlan } from './protobuf-scan';

/**
 * The most bytes kept from one ONNX file while it streams: its graph's input and output
 * ValueInfoProtos and its initializers' names. Everything else (weights, nodes) is skipped
 * unbuffered, so memory stays within this whatever the file's size.
 */
export const ONNX_CAPTURE_BYTES = 4 * 1024 * 1024;

/*
 * Field numbers from onnx.proto (ONNX IR version 10). Protobuf writers put fields in number order,
 * so GraphProto's initializer (5) — the weights, up to gigabytes — comes before its input (11) and
 * output (12): the file is read through, not just its start.
 */
const TENSOR_NAME: MessagePlan = { 8: { capture: 'initializer' } }; // TensorProto.name
const GRAPH: MessagePlan = {
  5: { descend: TENSOR_NAME }, // initializer
  11: { capture: 'input' },
  12: { capture: 'output' },
  15: { descend: { 1: { descend: TENSOR_NAME } } }, // sparse_initializer, its values' name
};
const MODEL: MessagePlan = { 7: { descend: GRAPH } }; // ModelProto.graph

/** TensorShapeProto.Dimension: dim_value (1), dim_param (2); a negative or unsafe value says nothing. */
function dimension(bytes: Buffer): Dimension {
  let found: Dimension = null;
  for (const field of protobufFields(bytes)) {
    if (field.field === 1 && 'varint' in field) {
      const value = asInt64(field.varint);
      found = value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
    } else if (field.field === 2 && 'bytes' in field) {
      found = field.bytes.toString('utf8');
    }
  }
  return found;
}

/** TypeProto.Tensor and SparseTensor: elem_type (1), shape (2) of dims (1); no shape: rank unknown. */
function tensorType(bytes: Buffer): Pick<TensorSpec, 'datatype' | 'shape'> {
  let elemType = 0;
  let shape: Dimension[] | null = null;
  for (const field of protobufFields(bytes)) {
    if (field.field === 1 && 'varint' in field) elemType = Number(asInt64(field.varint));
    else if (field.field === 2 && 'bytes' in field) {
      shape ??= [];
      for (const dim of protobufFields(field.bytes)) if (dim.field === 1 && 'bytes' in dim) shape.push(dimension(dim.bytes));
    }
  }
  return { datatype: datatypeOfOnnxElement(elemType), shape };
}

/** ValueInfoProto: name (1), type (2), a TypeProto whose tensor_type (1) or sparse_tensor_type (8) is read. */
function valueInfo(bytes: Buffer): TensorSpec {
  let name = '';
  let type: Pick<TensorSpec, 'datatype' | 'shape'> = { datatype: null, shape: null };
  for (const field of protobufFields(bytes)) {
    if (field.field === 1 && 'bytes' in field) name = field.bytes.toString('utf8');
    else if (field.field === 2 && 'bytes' in field) {
      for (const kind of protobufFields(field.bytes)) {
        if ((kind.field === 1 || kind.field === 8) && 'bytes' in kind) type = tensorType(kind.bytes);
      }
    }
  }
  return { name, ...type };
}

/**
 * Reads an ONNX model's signature from its bytes as they stream (write each chunk, then finish):
 * the graph's inputs less those that name an initializer (older exporters list weights as inputs
 * too), and its outputs, each with its OIP datatype and shape. Never throws: a file that is not
 * an ONNX model, is cut short, or whose inputs, outputs and initializer names take more than
 * ONNX_CAPTURE_BYTES gives no signature, with the reason.
 */
export class OnnxSignatureReader {
  private readonly inputs: TensorSpec[] = [];
  private readonly outputs: TensorSpec[] = [];
  private readonly initializers = new Set<string>();
  private malformed: string | undefined;
  private readonly scan = new ProtobufScan(MODEL, ONNX_CAPTURE_BYTES, (label, bytes) => this.captured(label, bytes));

  write(chunk: Buffer): void {
    if (this.malformed === undefined) this.scan.write(chunk);
  }

  finish(): SignatureFinding {
    this.scan.finish();
    const failure = this.scan.failure;
    if (failure?.kind === 'over_budget') {
      return noSignature(`The ONNX model's graph inputs, outputs and initializer names take more than the ${ONNX_CAPTURE_BYTES} bytes MLHub reads of a model file`);
    }
    const malformed = this.malformed ?? failure?.detail;
    if (malformed !== undefined) return noSignature(`The ONNX model file could not be read as an ONNX ModelProto: ${malformed}`);
    if (this.outputs.length === 0) return noSignature('The ONNX model file holds no graph outputs: it is not an ONNX model');
    return {
      signature: { inputs: this.inputs.filter((input) => !this.initializers.has(input.name)), outputs: this.outputs },
      source: 'onnx',
    };
  }

  private captured(label: string, bytes: Buffer): void {
    try {
      if (label === 'initializer') this.initializers.add(bytes.toString('utf8'));
      else (label === 'input' ? this.inputs : this.outputs).push(valueInfo(bytes));
    } catch (error) {
      if (!(error instanceof ProtobufError)) throw error;
      this.malformed ??= `a graph ${label} is malformed (${error.message})`;
    }
  }
}
