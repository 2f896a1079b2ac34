import type { AsyncBuffer, SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ColumnType } from './dataset-types';
import type { RangeSource } from './range-source';

/** hyparquet's view of a stored object: each slice one ranged read. */
export function asyncBufferOf(source: RangeSource): AsyncBuffer {
  return {
    byteLength: source.size,
    slice: async (start, end) => {
      const bytes = await source.read(start, end ?? source.size);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

/** Snappy, gzip, zstd, brotli and LZ4 pages (hyparquet reads uncompressed and snappy itself). */
export const PARQUET_COMPRESSORS = compressors;

const NUMERIC_PHYSICAL = new Set(['INT32', 'INT64', 'FLOAT', 'DOUBLE']);

/** Whether a primitive column holds numbers hyparquet gives as numbers (or bigints): not dates, times or text. */
function primitiveType(node: SchemaTree): ColumnType {
  const { type, converted_type: converted, logical_type: logical } = node.element;
  if (type === 'BOOLEAN') return 'boolean';
  if (logical?.type === 'FLOAT16') return 'number';
  if (logical?.type === 'DECIMAL' || converted === 'DECIMAL') return 'number';
  if (logical?.type === 'STRING' || converted === 'UTF8' || logical?.type === 'ENUM' || converted === 'ENUM') return 'string';
  if (type && NUMERIC_PHYSICAL.has(type)) {
    const temporal = (logical && ['DATE', 'TIME', 'TIMESTAMP'].includes(logical.type)) || (converted && /^(DATE|TIME|TIMESTAMP)/.test(converted));
    if (temporal) return 'mixed';
    return type === 'FLOAT' || type === 'DOUBLE' ? 'number' : 'integer';
  }
  return 'mixed';
}

/**
 * The list's element, for the LIST encodings of the Parquet spec (LogicalTypes.md, "Lists"):
 * the three-level `group (LIST) { repeated group list { element } }`, the two-level
 * `group (LIST) { repeated element }`, and a bare `repeated` primitive.
 */
function listElement(node: SchemaTree): SchemaTree | undefined {
  const isList = node.element.converted_type === 'LIST' || node.element.logical_type?.type === 'LIST';
  if (!isList || node.children.length !== 1) return undefined;
  const repeated = node.children[0]!;
  if (repeated.children.length === 0) return repeated;
  return repeated.children.length === 1 && repeated.children[0]!.children.length === 0 ? repeated.children[0] : undefined;
}

/** A top-level column's type: its primitive type, `list<number>` for a list of numbers, else `mixed`. */
export function parquetColumnType(node: SchemaTree): ColumnType {
  if (node.children.length === 0) return node.element.repetition_type === 'REPEATED' ? listOf(node) : primitiveType(node);
  const element = listElement(node);
  return element ? listOf(element) : 'mixed';
}

function listOf(element: SchemaTree): ColumnType {
  const type = primitiveType(element);
  return type === 'number' || type === 'integer' || type === 'boolean' ? 'list<number>' : 'mixed';
}
