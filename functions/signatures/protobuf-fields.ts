/**
 * Reads the fields of a small protobuf message held whole in memory (Protocol Buffers encoding,
 * https://protobuf.dev/programming-guides/encoding/): the pieces protobuf-scan.ts captured.
 */

export class ProtobufError extends Error {}

/** One field: a varint's value (wire type 0), or a length-delimited field's bytes (wire type 2). */
export type ProtobufField =
  | { readonly field: number; readonly varint: bigint }
  | { readonly field: number; readonly bytes: Buffer }
  | { readonly field: number; readonly fixed: true };

function readVarint(bytes: Buffer, start: number): { value: bigint; next: number } {
  let value = 0n;
  for (let index = 0; index < 10; index += 1) {
    const byte = bytes[start + index];
    if (byte === undefined) throw new ProtobufError('a varint runs past the end of its message');
    value |= BigInt(byte & 0x7f) << BigInt(7 * index);
    if ((byte & 0x80) === 0) return { value, next: start + index + 1 };
  }
  throw new ProtobufError('a varint runs past 10 bytes');
}

/** The fields in order; throws ProtobufError for bytes that are not a well-formed message. */
export function* protobufFields(bytes: Buffer): Generator<ProtobufField> {
  let at = 0;
  while (at < bytes.length) {
    const tag = readVarint(bytes, at);
    at = tag.next;
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (field === 0 || field > 2 ** 29 - 1) throw new ProtobufError(`field number ${field}`);
    if (wireType === 0) {
      const value = readVarint(bytes, at);
      at = value.next;
      yield { field, varint: value.value };
    } else if (wireType === 2) {
      const length = readVarint(bytes, at);
      const end = length.next + Number(length.value);
      if (length.value > BigInt(bytes.length) || end > bytes.length) throw new ProtobufError(`field ${field} runs past the end of its message`);
      yield { field, bytes: bytes.subarray(length.next, end) };
      at = end;
    } else if (wireType === 1 || wireType === 5) {
      at += wireType === 1 ? 8 : 4;
      if (at > bytes.length) throw new ProtobufError(`field ${field} runs past the end of its message`);
      yield { field, fixed: true };
    } else {
      throw new ProtobufError(`wire type ${wireType} (field ${field})`);
    }
  }
}

/** A varint as a signed 64-bit integer (proto int64 and int32 are two's complement). */
export const asInt64 = (value: bigint): bigint => BigInt.asIntN(64, value);
