/**
 * A small NPY writer for tests and benchmarks (numpy's format, NEP 1 / `numpy.lib.format`):
 * versions 1.0 to 3.0, C or Fortran order flag, every numeric dtype MLHub reads, either
 * endianness. Values are written as given (NaN and Infinity included), in row-major order.
 */
export interface NpyArray {
  /** numpy's type string: `<f4`, `>i8`, `|u1`, `|b1`… (`<f2` is written as IEEE binary16). */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  readonly version?: 1 | 2 | 3;
  readonly fortranOrder?: boolean;
  /** Replaces the header dict (for tests of unreadable headers). */
  readonly rawHeader?: string;
}

function toHalf(value: number): number {
  const floats = new Float32Array([value]);
  const bits = new Uint32Array(floats.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (Number.isNaN(value)) return 0x7e00;
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) return exponent < -10 ? sign : sign | ((mantissa | 0x800000) >> (1 - exponent + 13));
  // Round to nearest, ties to even, as numpy does; a carry rolls into the exponent.
  const half = sign | (exponent << 10) | (mantissa >> 13);
  const dropped = mantissa & 0x1fff;
  return dropped > 0x1000 || (dropped === 0x1000 && (half & 1) === 1) ? half + 1 : half;
}

export function writeNpy(array: NpyArray): Buffer {
  const match = /^([<>|=])([fiub])(\d)$/.exec(array.dtype);
  if (!match) throw new Error(`writeNpy cannot write dtype ${array.dtype}`);
  const le = match[1] !== '>';
  const kind = match[2]!;
  const size = Number(match[3]);
  const version = array.version ?? 1;
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = array.rawHeader ?? `{'descr': '${array.dtype}', 'fortran_order': ${array.fortranOrder ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const preamble = version === 1 ? 10 : 12;
  // numpy pads the header with spaces to a multiple of 64 bytes, ending with \n.
  const unpadded = Buffer.byteLength(dict, version === 3 ? 'utf8' : 'latin1') + 1;
  const padding = (64 - ((preamble + unpadded) % 64)) % 64;
  const header = Buffer.from(`${dict}${' '.repeat(padding)}\n`, version === 3 ? 'utf8' : 'latin1');
  const head = Buffer.alloc(preamble);
  head[0] = 0x93;
  head.write('NUMPY', 1, 'latin1');
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  const body = Buffer.alloc(array.data.length * size);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let index = 0; index < array.data.length; index += 1) {
    const value = array.data[index]!;
    const at = index * size;
    switch (`${kind}${size}`) {
      case 'f2': view.setUint16(at, toHalf(value), le); break;
      case 'f4': view.setFloat32(at, value, le); break;
      case 'f8': view.setFloat64(at, value, le); break;
      case 'i1': view.setInt8(at, value); break;
      case 'i2': view.setInt16(at, value, le); break;
      case 'i4': view.setInt32(at, value, le); break;
      case 'i8': view.setBigInt64(at, BigInt(value), le); break;
      case 'u1': view.setUint8(at, value); break;
      case 'u2': view.setUint16(at, value, le); break;
      case 'u4': view.setUint32(at, value, le); break;
      case 'u8': view.setBigUint64(at, BigInt(value), le); break;
      case 'b1': view.setUint8(at, value ? 1 : 0); break;
      default: throw new Error(`writeNpy cannot write dtype ${array.dtype}`);
    }
  }
  return Buffer.concat([head, header, body]);
}
