import { rejectDataset } from './refusal';

/** The largest header MLHub reads; numpy itself refuses headers over 10 000 bytes unless told otherwise. */
export const MAX_NPY_HEADER_BYTES = 1024 * 1024;

export interface NpyHeader {
  /** As numpy writes it: `<f4`, `>i8`, `|u1`, `|b1`. */
  readonly dtype: string;
  readonly littleEndian: boolean;
  readonly kind: 'f' | 'i' | 'u' | 'b';
  readonly itemBytes: number;
  readonly shape: readonly number[];
  readonly dataOffset: number;
}

const SUPPORTED = new Set(['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1']);

/** Bytes needed before the header can be parsed: the preamble, then the whole header. */
export function npyHeaderLength(head: Buffer): number | undefined {
  if (head.length < 10) return undefined;
  const major = head[6];
  if (major === 1) return 10 + head.readUInt16LE(8);
  if (head.length < 12) return undefined;
  return 12 + head.readUInt32LE(8);
}

const field = (header: string, name: string, pattern: string): string | undefined =>
  new RegExp(`['"]${name}['"]\\s*:\\s*${pattern}`).exec(header)?.[1];

/**
 * Parses an NPY header (numpy's format, NEP 1 and `numpy.lib.format`): the magic `\x93NUMPY`,
 * version 1.0 (2-byte header length), 2.0 (4-byte) or 3.0 (4-byte, UTF-8 header), then a Python
 * dict literal with `descr`, `fortran_order` and `shape`. `head` must hold the whole header.
 *
 * Refusals: not an NPY file, an unknown version, a header over 1 MiB or unreadable, Fortran
 * order (of an array of more than one dimension), a structured or object dtype or any dtype but
 * f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, a 0-d array.
 */
export function parseNpyHeader(head: Buffer): NpyHeader {
  if (head.length < 10 || head[0] !== 0x93 || head.toString('latin1', 1, 6) !== 'NUMPY') throw rejectDataset('The file is not an NPY file (no \\x93NUMPY magic)');
  const major = head[6]!;
  if (major < 1 || major > 3) throw rejectDataset(`The NPY file has format version ${major}.${head[7]}; MLHub reads versions 1.0 to 3.0`);
  const length = npyHeaderLength(head);
  if (length === undefined || length > MAX_NPY_HEADER_BYTES + 12) throw rejectDataset(`The NPY header is longer than ${MAX_NPY_HEADER_BYTES} bytes`);
  if (head.length < length) throw rejectDataset('The NPY file ends inside its header');
  const header = head.toString(major === 3 ? 'utf8' : 'latin1', major === 1 ? 10 : 12, length);
  if (/['"]descr['"]\s*:\s*\[/.test(header)) throw rejectDataset('The NPY array has a structured dtype (named fields); save a plain numeric array');
  const descr = field(header, 'descr', `['"]([^'"]*)['"]`);
  const fortran = field(header, 'fortran_order', '(True|False)');
  const shapeText = field(header, 'shape', '\\(([^)]*)\\)');
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw rejectDataset(`The NPY header cannot be read: ${JSON.stringify(header.trim().slice(0, 200))}`);
  const shape = shapeText.split(',').map((part) => part.trim()).filter((part) => part.length > 0).map((part) => (/^\d+L?$/.test(part) ? Number.parseInt(part, 10) : Number.NaN));
  if (shape.some((dim) => !Number.isSafeInteger(dim))) throw rejectDataset(`The NPY header's shape (${shapeText}) is not a tuple of sizes`);
  if (shape.length === 0) throw rejectDataset('The NPY array is 0-dimensional (one scalar); save an array with rows along its first axis');
  if (fortran === 'True' && shape.filter((dim) => dim > 1).length > 1) throw rejectDataset('The NPY array is in Fortran order; save it in C order (numpy.ascontiguousarray) so rows are contiguous');
  if (/^[<>|=]?O/.test(descr)) throw rejectDataset('The NPY array has dtype object (pickled Python objects), which MLHub never loads; save a numeric array');
  const dtype = npyDtype(descr);
  if (!dtype) throw rejectDataset(`The NPY array has dtype ${descr}; MLHub reads ${[...SUPPORTED].join(' ')} (either endianness)`);
  return { dtype: descr, ...dtype, shape, dataOffset: length };
}

/** A numpy type string (`<f4`, `>i8`, `|b1`) MLHub reads, or undefined. `=` is native order, little-endian on every platform MLHub runs on. */
export function npyDtype(descr: string): Pick<NpyHeader, 'kind' | 'itemBytes' | 'littleEndian'> | undefined {
  const match = /^([<>|=])?([fiub])(\d)$/.exec(descr);
  if (!match || !SUPPORTED.has(`${match[2]}${match[3]}`)) return undefined;
  return { kind: match[2] as NpyHeader['kind'], itemBytes: Number(match[3]), littleEndian: match[1] !== '>' };
}

/** IEEE 754 binary16 to a double. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Reads element `index` of a run of NPY data as a double (int64 beyond 2^53 rounds, as float64 conversion does). */
export function npyReader(header: Pick<NpyHeader, 'kind' | 'itemBytes' | 'littleEndian'>): (view: DataView, index: number) => number {
  const { kind, itemBytes: size, littleEndian: le } = header;
  const key = `${kind}${size}`;
  switch (key) {
    case 'f2': return (view, index) => halfToNumber(view.getUint16(index * 2, le));
    case 'f4': return (view, index) => view.getFloat32(index * 4, le);
    case 'f8': return (view, index) => view.getFloat64(index * 8, le);
    case 'i1': return (view, index) => view.getInt8(index);
    case 'i2': return (view, index) => view.getInt16(index * 2, le);
    case 'i4': return (view, index) => view.getInt32(index * 4, le);
    case 'i8': return (view, index) => Number(view.getBigInt64(index * 8, le));
    case 'u1': return (view, index) => view.getUint8(index);
    case 'u2': return (view, index) => view.getUint16(index * 2, le);
    case 'u4': return (view, index) => view.getUint32(index * 4, le);
    case 'u8': return (view, index) => Number(view.getBigUint64(index * 8, le));
    case 'b1': return (view, index) => (view.getUint8(index) === 0 ? 0 : 1);
    default: throw new Error(`No NPY reader for ${key}`);
  }
}
