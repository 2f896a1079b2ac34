import { positionOf } from '../../inference/tensor';
import type { ChunkRow, DatasetChunk, DatasetLayout } from './dataset-types';
import { npyDtype, npyReader } from './npy-header';
import type { RangeSource } from './range-source';

type Npy = Extract<DatasetLayout, { kind: 'npy' }>;

/**
 * Reads an NPY chunk with one ranged read (its rows are contiguous in C order) and decodes each
 * row to doubles. A NaN or infinite value makes the row an error row naming its position.
 */
export async function* readNpy(layout: Npy, rowShape: readonly number[], chunk: DatasetChunk, source: RangeSource): AsyncGenerator<ChunkRow> {
  const start = layout.dataOffset + chunk.rowStart * layout.rowBytes;
  const bytes = await source.read(start, start + chunk.rowCount * layout.rowBytes);
  const dtype = npyDtype(layout.dtype);
  if (!dtype) throw new Error(`The layout's NPY dtype ${layout.dtype} is not one MLHub reads`);
  const read = npyReader(dtype);
  for (let index = 0; index < chunk.rowCount; index += 1) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + index * layout.rowBytes, layout.rowBytes);
    const values = new Float64Array(layout.rowValues);
    let bad = -1;
    for (let at = 0; at < values.length; at += 1) {
      const value = read(view, at);
      if (!Number.isFinite(value) && bad === -1) bad = at;
      values[at] = value;
    }
    const row = chunk.rowStart + index;
    if (bad === -1) yield { row, values };
    else yield { row, error: `${positionOf('value ', rowShape.length > 0 ? rowShape : [1], bad)} is ${values[bad]}: MLHub takes only finite numbers as input, never NaN or Infinity` };
  }
}
