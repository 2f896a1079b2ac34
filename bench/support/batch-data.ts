import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';

/** The benchmark's input columns: 784 pixels, as the demo model and the MLP take them. */
export const PIXELS = 784;
export const PIXEL_COLUMNS = Array.from({ length: PIXELS }, (_, index) => `p${index}`);

/**
 * Pixel-like values, reproducible from a seed: four in five are 0 (as most of an MNIST digit is
 * background), the rest thousandths in (0, 1]. Short in CSV ("0", "0.437"), and few distinct
 * values, as scanned images have, so Parquet's dictionary encoding applies as it would there.
 */
export class PixelSource {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** The value's thousandths: 0 to 1000. */
  next(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    if (this.state % 5 !== 0) return 0;
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return 1 + (this.state % 1000);
  }
}

/** The CSV text of each thousandths value, as a CSV writer would print the number (shortest form). */
const TEXT = Array.from({ length: 1001 }, (_, thousandths) => String(thousandths / 1000));

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

export interface BatchDataOptions {
  readonly rows: number;
  /** Rows per Parquet row group (and per generated slice). */
  readonly rowGroupRows: number;
  readonly csvPath: string;
  readonly parquetPath: string;
  readonly seed?: number;
}

/**
 * Writes the same `rows` × 784 pixel rows as a CSV with a header (LF line ends, as pandas and
 * most tools write it) and as a Parquet file of FLOAT columns p0…p783, snappy, in row groups of
 * `rowGroupRows`: one slice of rows at a time, streamed to disk, so memory holds a slice, never
 * the file.
 */
export async function writeBatchData(options: BatchDataOptions): Promise<void> {
  const source = new PixelSource(options.seed ?? 20261201);
  const csv = createWriteStream(options.csvPath);
  const csvDone = new Promise<void>((resolve, reject) => {
    csv.on('finish', resolve);
    csv.on('error', reject);
  });
  await write(csv, `${PIXEL_COLUMNS.join(',')}\n`);
  const schema = [
    { name: 'root', num_children: PIXELS },
    ...PIXEL_COLUMNS.map((name) => ({ name, type: 'FLOAT' as const, repetition_type: 'REQUIRED' as const })),
  ];
  const parquet = new ParquetWriter({ writer: fileWriter(options.parquetPath), schema });
  const fields = new Array<string>(PIXELS);
  for (let start = 0; start < options.rows; start += options.rowGroupRows) {
    const count = Math.min(options.rowGroupRows, options.rows - start);
    const columns = PIXEL_COLUMNS.map(() => new Float32Array(count));
    let text = '';
    for (let row = 0; row < count; row += 1) {
      for (let column = 0; column < PIXELS; column += 1) {
        const thousandths = source.next();
        columns[column]![row] = thousandths / 1000;
        fields[column] = TEXT[thousandths]!;
      }
      text += `${fields.join(',')}\n`;
      if (text.length > 1 << 20) {
        await write(csv, text);
        text = '';
      }
    }
    await write(csv, text);
    await parquet.write({ columnData: PIXEL_COLUMNS.map((name, index) => ({ name, data: columns[index]!, type: 'FLOAT' as const })), rowGroupSize: count });
  }
  await parquet.finish();
  csv.end();
  await csvDone;
}
