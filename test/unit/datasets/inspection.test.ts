import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppError } from '../../../functions/errors/app-error';
import { detectFormat } from '../../../functions/datasets/formats/detect-format';
import { inspectDataset, inspectObject } from '../../../functions/datasets/formats/inspect-dataset';
import { fileRangeSource, bufferRangeSource } from '../../../functions/datasets/formats/range-source';
import { planChunks } from '../../../functions/datasets/formats/plan-chunks';
import { MAX_JSONL_LINE_BYTES } from '../../../functions/datasets/formats/jsonl-rows';
import { makeTar } from '../../../scripts/datasets/image-tar';
import { writeNpy } from '../../../scripts/datasets/npy-writer';
import { writeParquet } from '../../../scripts/datasets/parquet-file';
import { inspectBytes, plainRows, readAll, readPlan } from '../../support/datasets/dataset-harness';
import { resolveSelection } from '../../../functions/datasets/formats/column-selection';

const folder = mkdtempSync(join(tmpdir(), 'mlhub-datasets-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function refusal(bytes: Buffer, filename: string): Promise<AppError> {
  try {
    await inspectBytes(bytes, filename);
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

describe('detectFormat', () => {
  it('trusts magic bytes first, then the extension, then the text', () => {
    const ustar = Buffer.alloc(512);
    ustar.write('ustar', 257, 'latin1');
    expect(detectFormat('x.csv', Buffer.from('PAR1....'))).toEqual({ format: 'parquet', compression: 'none' });
    expect(detectFormat('x.bin', Buffer.from('\x93NUMPY\x01\x00', 'latin1'))).toEqual({ format: 'npy', compression: 'none' });
    expect(detectFormat('x.dat', ustar)).toEqual({ format: 'image-tar', compression: 'none' });
    expect(detectFormat('x.tgz', Buffer.from([0x1f, 0x8b]))).toEqual({ format: 'image-tar', compression: 'gzip' });
    expect(detectFormat('x.ndjson.gz', Buffer.from([0x1f, 0x8b]))).toEqual({ format: 'jsonl', compression: 'gzip' });
    expect(detectFormat('x.gz', Buffer.from([0x1f, 0x8b]))).toEqual({ format: undefined, compression: 'gzip' });
    expect(detectFormat('data.tsv', Buffer.from('a,b\n'))).toEqual({ format: 'tsv', compression: 'none' });
    expect(detectFormat('upload', Buffer.from('\uFEFF{"a": 1}\n'))).toEqual({ format: 'jsonl', compression: 'none' });
    expect(detectFormat('upload', Buffer.from('a\tb\n1\t2\n'))).toEqual({ format: 'tsv', compression: 'none' });
    expect(detectFormat('upload', Buffer.from('a,b\n'))).toEqual({ format: 'csv', compression: 'none' });
  });

  it('finds what a bare .gz holds from its decompressed bytes', async () => {
    const { inspection } = await inspectBytes(gzipSync(Buffer.from('{"a": 1}\n{"a": 2}\n')), 'upload.gz');
    expect(inspection).toMatchObject({ format: 'jsonl', compression: 'gzip', rowCount: 2, readsFrom: 'plain' });
  });
});

describe('the inspection refuses whole-file faults with a reason', () => {
  const cases: [string, () => Buffer | Promise<Buffer>, string, RegExp][] = [
    ['an empty upload', () => Buffer.alloc(0), 'a.csv', /empty \(0 bytes\)/],
    ['a CSV without rows', () => Buffer.from('a,b\n'), 'a.csv', /header row but no data rows/],
    ['a CSV naming a column twice', () => Buffer.from('a,b,a\n1,2,3\n'), 'a.csv', /names column "a" twice \(columns 0 and 2/],
    ['a quote never closed', () => Buffer.from('a,b\n1,"2\n3,4\n'), 'a.csv', /never closed/],
    ['JSON Lines with only blank lines', () => Buffer.from('\n  \n'), 'a.jsonl', /no rows/],
    ['JSON Lines of scalars', () => Buffer.from('1\n2\n'), 'a.jsonl', /JSON object or array/],
    ['a JSON line over the limit', () => Buffer.concat([Buffer.from('{"a": "'), Buffer.alloc(MAX_JSONL_LINE_BYTES, 0x61), Buffer.from('"}\n')]), 'a.jsonl', /Line 1 .* longer than/],
    ['a Parquet name on other bytes', () => Buffer.from('a,b\n1,2\n'), 'a.parquet', /too short to be a Parquet file/],
    ['other bytes named Parquet', () => Buffer.from('a,b\n1,2\n3,4\n5,6\n'), 'a.parquet', /not a Parquet file/],
    ['an NPY in Fortran order', () => writeNpy({ dtype: '<f4', shape: [2, 3], data: [1, 2, 3, 4, 5, 6], fortranOrder: true }), 'a.npy', /Fortran order/],
    ['an NPY of objects', () => writeNpy({ dtype: '<f4', shape: [1], data: [0], rawHeader: "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }" }), 'a.npy', /dtype object/],
    ['an NPY of complex numbers', () => writeNpy({ dtype: '<f8', shape: [1], data: [0], rawHeader: "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }" }), 'a.npy', /dtype <c16/],
    ['an NPY header that is not a dict', () => writeNpy({ dtype: '<f8', shape: [1], data: [0], rawHeader: 'hello' }), 'a.npy', /header cannot be read/],
    ['an NPY cut short', () => writeNpy({ dtype: '<f8', shape: [4], data: [1, 2, 3, 4] }).subarray(0, -3), 'a.npy', /cut short/],
    ['an NPY of no rows', () => writeNpy({ dtype: '<f8', shape: [0, 3], data: [] }), 'a.npy', /no rows/],
    ['a tar that is not a tar', () => Buffer.alloc(2048, 7), 'a.tar', /not a valid tar/],
    ['a tar without images', () => makeTar([{ name: 'README.txt', bytes: Buffer.from('hi') }, { name: 'd/', type: 'directory' }]), 'a.tar', /no PNG or JPEG images \(skipped: 1 directories, 0 macOS metadata files, 1 other/],
    ['a zip named like a CSV', () => Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), 'data.csv', /binary bytes \(NUL\), not UTF-8 text/],
    ['UTF-16 text in a gzip', () => gzipSync(Buffer.from('\uFEFFa,b\n1,2\n', 'utf16le')), 'data.gz', /not UTF-8 text/],
    ['a broken gzip stream', () => gzipSync(Buffer.from('a,b\n1,2\n')).subarray(0, 12), 'a.csv.gz', /not a valid gzip stream/],
  ];
  for (const [name, make, filename, reason] of cases) {
    it(name, async () => {
      const error = await refusal(await make(), filename);
      expect(error.code).toBe('dataset_rejected');
      expect(error.kind).toBe('invalid');
      expect(error.message).toMatch(reason);
    });
  }

  it('names empty header columns by position, as pandas writes its index', async () => {
    const { inspection } = await inspectBytes(Buffer.from(',a\n0,1\n'), 'a.csv');
    expect(inspection.schema).toEqual({ kind: 'columns', columns: [{ name: 'column_0', type: 'integer' }, { name: 'a', type: 'integer' }] });
  });
});

describe('a large CSV', () => {
  it('is inspected as a stream with flat memory, its checkpoints at record starts', async () => {
    // 900k records of about 110 bytes (about 86 MB, never held whole); from the middle on every
    // 7th holds a quoted line break, so both the quote-free scan and csv-parse take part.
    const rows = 900_000;
    const path = join(folder, 'large.csv');
    const quoted = (row: number): boolean => row >= rows / 2 && row % 7 === 0;
    const line = (row: number): string => `${row},${row * 0.5},"${quoted(row) ? 'two\nlines, quoted' : 'one line'}",${'9'.repeat(70)}\n`.replace(/"one line"/, 'one line');
    async function* generate(): AsyncGenerator<string> {
      yield 'id,half,note,pad\n';
      for (let row = 0; row < rows; row += 1000) yield Array.from({ length: 1000 }, (_, index) => line(row + index)).join('');
    }
    await pipeline(Readable.from(generate()), createWriteStream(path));
    const source = await fileRangeSource(path);
    // Buffers live outside the JS heap: count both. Garbage makes the growth tens of MB whatever the size.
    const used = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = used();
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, used()); }, 5);
    const inspection = await inspectObject(source, { filename: 'large.csv' });
    clearInterval(sampler);
    expect(inspection.rowCount).toBe(rows);
    expect(source.size).toBeGreaterThan(80 * 2 ** 20);
    expect(peak - before).toBeLessThan(64 * 2 ** 20);
    if (inspection.layout.kind !== 'lines') throw new Error('expected lines');
    const { checkpoints } = inspection.layout;
    expect(checkpoints.length).toBeGreaterThan(50);
    // Each checkpoint is the start of its record: a line break before it, then that row's id
    // (a line break inside a quoted note is followed by "lines", never by an id).
    for (const checkpoint of checkpoints.slice(0, -1)) {
      const window = Buffer.from(await source.read(checkpoint.offset - 1, checkpoint.offset + 24)).toString('latin1');
      expect(window.startsWith(`\n${checkpoint.row},${checkpoint.row * 0.5},`), `${checkpoint.row} at ${checkpoint.offset}`).toBe(true);
    }
    expect(checkpoints[checkpoints.length - 1]).toEqual({ row: rows, offset: source.size });
    // And chunks cut there read the rows back, quoted line breaks included.
    const chunks = planChunks(inspection, { maxRows: 50_000, maxBytes: 4 * 1024 * 1024 });
    expect(chunks.length).toBeGreaterThan(20);
    const sample = chunks.find((chunk) => chunk.rowStart > rows / 2 && quoted(chunk.rowStart)) ?? chunks[chunks.length - 2]!;
    const rowsRead = await readPlan({ inspection, source }, [sample], resolveSelection(inspection.schema, ['id', 'half'], ['note']));
    expect(rowsRead.map((row) => row.row)).toEqual(Array.from({ length: sample.rowCount }, (_, index) => sample.rowStart + index));
    rowsRead.forEach((row) => {
      expect(Array.from(row.values!)).toEqual([row.row, row.row * 0.5]);
      expect(row.kept).toEqual({ note: quoted(row.row) ? 'two\nlines, quoted' : 'one line' });
    });
  }, 120_000);
});

describe('gzip uploads', () => {
  it('write their decompressed bytes to the plain sink during the one pass', async () => {
    const text = Buffer.from('a\n1\n2\n3\n');
    const sink = new PassThrough();
    const copied: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => copied.push(chunk));
    const inspection = await inspectDataset(Readable.from([gzipSync(text)]), { filename: 'a.csv.gz', plainSink: sink });
    expect(Buffer.concat(copied).equals(text)).toBe(true);
    expect(sink.writableFinished).toBe(true);
    expect(inspection).toMatchObject({ readsFrom: 'plain', compression: 'gzip', rowCount: 3 });
  });

  it('refuse to decompress past the limit, and destroy the plain copy', async () => {
    const sink = new PassThrough();
    sink.resume();
    const failure = await inspectDataset(Readable.from([gzipSync(Buffer.alloc(1 << 20, 0x31))]), { filename: 'a.csv.gz', plainSink: sink, maxPlainBytes: 1000 }).catch((error: AppError) => error);
    expect((failure as AppError).code).toBe('dataset_rejected');
    expect(sink.destroyed).toBe(true);
  });
});

describe('Parquet', () => {
  it('types columns from the schema and row groups from the footer', async () => {
    const bytes = writeParquet([
      { name: 'x', data: Float64Array.from([1, 2, 3]) },
      { name: 'n', data: [1n, 2n, 3n], type: 'INT64' },
      { name: 'flag', data: [true, false, true] },
      { name: 's', data: ['a', 'b', 'c'] },
    ], { rowGroupSize: 2 });
    const { inspection, source } = await inspectBytes(bytes, 'a.parquet');
    expect(inspection.schema).toEqual({ kind: 'columns', columns: [{ name: 'x', type: 'number' }, { name: 'n', type: 'integer' }, { name: 'flag', type: 'boolean' }, { name: 's', type: 'string' }] });
    expect(inspection.layout.kind === 'parquet' && inspection.layout.rowGroups.map((group) => [group.rowStart, group.rowCount])).toEqual([[0, 2], [2, 1]]);
    expect(plainRows(await readAll({ inspection, source }, ['x', 'n', 'flag'], ['s']))).toEqual([
      { row: 0, values: [1, 1, 1], kept: { s: 'a' } }, { row: 1, values: [2, 2, 0], kept: { s: 'b' } }, { row: 2, values: [3, 3, 1], kept: { s: 'c' } },
    ]);
  });

  it('makes nulls and lists of another length bad rows naming the column', async () => {
    const bytes = writeParquet([{ name: 'x', data: [1, null, 3], type: 'DOUBLE', nullable: true }]);
    const inspected = await inspectBytes(bytes, 'a.parquet');
    expect(plainRows(await readAll(inspected, ['x']))).toEqual([
      { row: 0, values: [1] },
      { row: 1, error: 'column "x" must hold only numbers (or booleans), found null' },
      { row: 2, values: [3] },
    ]);
  });
});

describe('NPY, checked against numpy', () => {
  it('reads arrays numpy wrote, and numpy reads the test writer\'s files', async () => {
    const written = join(folder, 'numpy.npy');
    execFileSync('/usr/bin/python3', ['-c', `import numpy as np; np.save(${JSON.stringify(written)}, (np.arange(24).reshape(4, 2, 3) - 5).astype('>i4'))`]);
    const fromNumpy = await inspectBytes(readFileSync(written), 'numpy.npy');
    expect(fromNumpy.inspection.schema).toEqual({ kind: 'array', shape: [4, 2, 3], dtype: '>i4' });
    expect(plainRows(await readAll(fromNumpy))[3]).toEqual({ row: 3, values: [13, 14, 15, 16, 17, 18] });

    const ours = join(folder, 'ours.npy');
    writeFileSync(ours, writeNpy({ dtype: '<f2', shape: [2, 2], data: [0.5, -2, 65504, 1e-3], version: 3 }));
    const printed = execFileSync('/usr/bin/python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(ours)}); print(a.dtype.str, a.shape, a.tolist())`]).toString().trim();
    expect(printed).toBe('<f2 (2, 2) [[0.5, -2.0], [65504.0, 0.0010004043579101562]]');
    const read = plainRows(await readAll(await inspectBytes(readFileSync(ours), 'ours.npy')));
    expect(read).toEqual([{ row: 0, values: [0.5, -2] }, { row: 1, values: [65504, 1049 / 2 ** 20] }]);
  });

  it('makes a row holding NaN or Infinity a bad row naming the value', async () => {
    const inspected = await inspectBytes(writeNpy({ dtype: '>f8', shape: [3, 2], data: [1, 2, 3, Number.NaN, Number.POSITIVE_INFINITY, 0] }), 'a.npy');
    expect(plainRows(await readAll(inspected))).toEqual([
      { row: 0, values: [1, 2] },
      { row: 1, error: 'value [1] is NaN: MLHub takes only finite numbers as input, never NaN or Infinity' },
      { row: 2, error: 'value [0] is Infinity: MLHub takes only finite numbers as input, never NaN or Infinity' },
    ]);
  });
});

describe('range sources', () => {
  it('read the same bytes from a file and from memory, and refuse ranges outside the object', async () => {
    const path = join(folder, 'bytes.bin');
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, index) => index % 256));
    writeFileSync(path, bytes);
    const file = await fileRangeSource(path);
    const memory = bufferRangeSource(bytes);
    expect(Buffer.from(await file.read(10, 250))).toEqual(Buffer.from(await memory.read(10, 250)));
    const streamed: Buffer[] = [];
    for await (const chunk of await file.stream(5, 6)) streamed.push(chunk as Buffer);
    expect(Buffer.concat(streamed)).toEqual(bytes.subarray(5, 6));
    await expect(file.read(0, 301)).rejects.toThrow(RangeError);
    await expect(memory.stream(-1, 3)).rejects.toThrow(RangeError);
  });
});
