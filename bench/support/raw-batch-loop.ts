/**
 * The baseline of bench:batch: the loop a researcher would write by hand, in a process of its own.
 * It reads a dataset file of 784 pixel columns (CSV: streamed, lines split on commas, Number();
 * Parquet: hyparquet, one row group at a time, the columns' decoded arrays transposed into rows),
 * calls onnxruntime-node's InferenceSession.run on `batch` rows at a time (the session options
 * MLHub uses), and writes what MLHub's job writes: `row`, `output_0…9`, and `label` and
 * `probability` (the top class) when labels are given, as CSV (CRLF, shortest numbers) or as
 * Parquet (INT64, DOUBLE, STRING; snappy; one row group per `groupRows` rows). No checks, no
 * error rows, no S3: the floor MLHub's job is held to.
 *
 * Usage: tsx bench/support/raw-batch-loop.ts <csv|parquet> <dataset> <model.onnx> <out> <batch> <groupRows> [labels.txt]
 * Prints one JSON line: {"rows", "seconds", "cpuSeconds" (all threads, from the start of the loop), "peakRssMb"}.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import * as ort from 'onnxruntime-node';
import { peakRssMb } from './peak-rss';

const [format, datasetPath, modelPath, outPath, batchText, groupText, labelsPath] = process.argv.slice(2) as [string, string, string, string, string, string, string | undefined];
const BATCH = Number(batchText);
const GROUP_ROWS = Number(groupText);
const WIDTH = 784;

const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
const input = session.inputMetadata[0]!;
const outputName = session.outputNames[0]!;
const rowShape = input.isTensor ? input.shape.slice(1).map(Number) : [WIDTH];
const labels = labelsPath ? (await readFile(labelsPath, 'utf8')).split('\n').map((line) => line.trim()).filter((line) => line.length > 0) : undefined;

/** Where the predictions go: CSV text or Parquet columns, flushed every GROUP_ROWS rows. */
interface Sink {
  add(firstRow: number, rows: number, scores: Float32Array): Promise<void>;
  close(): Promise<void>;
}

const top = (scores: Float32Array, at: number, width: number): number => {
  let best = 0;
  for (let index = 1; index < width; index += 1) if (scores[at + index]! > scores[at + best]!) best = index;
  return best;
};

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

function csvSink(path: string): Sink {
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  let header = false;
  return {
    async add(firstRow, rows, scores) {
      const width = scores.length / rows;
      if (!header) {
        const names = ['row', ...Array.from({ length: width }, (_, index) => `output_${index}`), ...(labels ? ['label', 'probability'] : [])];
        await write(out, `${names.join(',')}\r\n`);
        header = true;
      }
      let text = '';
      for (let row = 0; row < rows; row += 1) {
        const at = row * width;
        const cells = [String(firstRow + row)];
        for (let index = 0; index < width; index += 1) cells.push(String(scores[at + index]));
        if (labels) {
          const best = top(scores, at, width);
          cells.push(labels[best]!, String(scores[at + best]));
        }
        text += `${cells.join(',')}\r\n`;
      }
      await write(out, text);
    },
    async close() {
      out.end();
      await done;
    },
  };
}

function parquetSink(path: string): Sink {
  let writer: ParquetWriter | undefined;
  let rowsHeld: bigint[] = [];
  let outputs: number[][] = [];
  let labelColumn: string[] = [];
  let probability: number[] = [];
  const flush = async (): Promise<void> => {
    if (rowsHeld.length === 0) return;
    const columnData = [
      { name: 'row', data: rowsHeld, type: 'INT64' as const, nullable: false },
      ...outputs.map((data, index) => ({ name: `output_${index}`, data, type: 'DOUBLE' as const, nullable: false })),
      ...(labels ? [{ name: 'label', data: labelColumn, type: 'STRING' as const, nullable: true }, { name: 'probability', data: probability, type: 'DOUBLE' as const, nullable: true }] : []),
    ];
    if (!writer) {
      const schema = [{ name: 'root', num_children: columnData.length }, ...columnData.map((column) => ({
        name: column.name,
        type: column.type === 'STRING' ? ('BYTE_ARRAY' as const) : column.type,
        repetition_type: column.nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const),
        ...(column.type === 'STRING' ? { converted_type: 'UTF8' as const } : {}),
      }))];
      writer = new ParquetWriter({ writer: fileWriter(path), schema });
    }
    await writer.write({ columnData, rowGroupSize: rowsHeld.length });
    rowsHeld = [];
    outputs = outputs.map(() => []);
    labelColumn = [];
    probability = [];
  };
  return {
    async add(firstRow, rows, scores) {
      const width = scores.length / rows;
      if (outputs.length === 0) outputs = Array.from({ length: width }, () => []);
      for (let row = 0; row < rows; row += 1) {
        const at = row * width;
        rowsHeld.push(BigInt(firstRow + row));
        for (let index = 0; index < width; index += 1) outputs[index]!.push(scores[at + index]!);
        if (labels) {
          const best = top(scores, at, width);
          labelColumn.push(labels[best]!);
          probability.push(scores[at + best]!);
        }
        if (rowsHeld.length >= GROUP_ROWS) await flush();
      }
    },
    async close() {
      await flush();
      await writer?.finish();
    },
  };
}

async function predict(sink: Sink, firstRow: number, data: Float32Array, rows: number): Promise<void> {
  const feeds = { [input.name]: new ort.Tensor('float32', data.subarray(0, rows * WIDTH), [rows, ...rowShape]) };
  const results = await session.run(feeds);
  await sink.add(firstRow, rows, results[outputName]!.data as Float32Array);
}

/** CSV: the file streamed, lines cut at LF, fields at commas, each field through Number(). */
async function csvLoop(sink: Sink): Promise<number> {
  const data = new Float32Array(BATCH * WIDTH);
  let rest = '';
  let header = true;
  let inBatch = 0;
  let rows = 0;
  for await (const piece of createReadStream(datasetPath, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (piece as string);
    let from = 0;
    for (let to = text.indexOf('\n', from); to !== -1; to = text.indexOf('\n', from)) {
      const line = text.slice(from, to);
      from = to + 1;
      if (header) {
        header = false;
        continue;
      }
      const fields = line.split(',');
      const at = inBatch * WIDTH;
      for (let index = 0; index < WIDTH; index += 1) data[at + index] = Number(fields[index]);
      inBatch += 1;
      if (inBatch === BATCH) {
        await predict(sink, rows, data, inBatch);
        rows += inBatch;
        inBatch = 0;
      }
    }
    rest = text.slice(from);
  }
  if (inBatch > 0) {
    await predict(sink, rows, data, inBatch);
    rows += inBatch;
  }
  return rows;
}

/** Parquet: each row group's pixel columns decoded by hyparquet, transposed into row-major floats. */
async function parquetLoop(sink: Sink): Promise<number> {
  const file = await asyncBufferFromFile(datasetPath);
  const metadata = await parquetMetadataAsync(file);
  const columns = Array.from({ length: WIDTH }, (_, index) => `p${index}`);
  const position = new Map(columns.map((name, index) => [name, index]));
  let groupStart = 0;
  let rows = 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const data = new Float32Array(groupRows * WIDTH);
    await parquetRead({
      file, metadata, columns, rowStart: groupStart, rowEnd: groupStart + groupRows, compressors,
      onChunk: ({ columnName, columnData, rowStart }) => {
        const column = position.get(columnName)!;
        const values = columnData as ArrayLike<number>;
        for (let index = 0; index < values.length; index += 1) data[(rowStart - groupStart + index) * WIDTH + column] = values[index]!;
      },
    });
    for (let start = 0; start < groupRows; start += BATCH) {
      const count = Math.min(BATCH, groupRows - start);
      await predict(sink, groupStart + start, data.subarray(start * WIDTH), count);
      rows += count;
    }
    groupStart += groupRows;
  }
  return rows;
}

const started = process.hrtime.bigint();
const cpuStarted = process.cpuUsage();
const sink = format === 'csv' ? csvSink(outPath) : parquetSink(outPath);
const rows = format === 'csv' ? await csvLoop(sink) : await parquetLoop(sink);
await sink.close();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStarted);
process.stdout.write(`${JSON.stringify({ rows, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: await peakRssMb('self') })}\n`);
