import type { Readable } from 'node:stream';
import type { InspectedBody } from './inspect-delimited';
import { MAX_NPY_HEADER_BYTES, npyHeaderLength, parseNpyHeader } from './npy-header';
import { rejectDataset } from './refusal';

/**
 * Streams an NPY file once: parses its header (npy-header.ts), then counts the data bytes, which
 * must be exactly shape[0] rows of the rest of the shape (C order). A row is the flattened rest
 * (one value for a 1-D array).
 *
 * Refusals: the header's (npy-header.ts), zero rows, data shorter or longer than the shape says.
 */
export async function inspectNpy(plain: Readable): Promise<InspectedBody> {
  let head = Buffer.alloc(0);
  let total = 0;
  let needed: number | undefined;
  for await (const data of plain) {
    const chunk = data as Buffer;
    total += chunk.length;
    if (needed === undefined || head.length < needed) {
      head = Buffer.concat([head, chunk.subarray(0, MAX_NPY_HEADER_BYTES + 16 - head.length)]);
      needed = npyHeaderLength(head);
    }
  }
  const header = parseNpyHeader(head);
  const [rows = 0, ...rest] = header.shape;
  const rowValues = rest.reduce((product, dim) => product * dim, 1);
  const rowBytes = rowValues * header.itemBytes;
  if (rows === 0) throw rejectDataset(`The NPY array has no rows (shape (${header.shape.join(', ')}))`);
  if (rowBytes === 0) throw rejectDataset(`The NPY array's rows hold no values (shape (${header.shape.join(', ')}))`);
  const expected = header.dataOffset + rows * rowBytes;
  if (total !== expected) {
    throw rejectDataset(`The NPY file is ${total} bytes, but its header (shape (${header.shape.join(', ')}), dtype ${header.dtype}) needs ${expected}: ` +
      (total < expected ? 'it was cut short' : 'it has bytes after the array'));
  }
  return {
    rowCount: rows,
    schema: { kind: 'array', shape: header.shape, dtype: header.dtype },
    layout: { kind: 'npy', dataOffset: header.dataOffset, rowBytes, rowValues, dtype: header.dtype },
  };
}
