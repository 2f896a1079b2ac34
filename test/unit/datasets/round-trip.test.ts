import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { resolveSelection } from '../../../functions/datasets/formats/column-selection';
import type { DatasetChunk } from '../../../functions/datasets/formats/dataset-types';
import { planChunks } from '../../../functions/datasets/formats/plan-chunks';
import { delimitedText } from '../../../scripts/datasets/delimited-text';
import { makeTar, type TarEntry } from '../../../scripts/datasets/image-tar';
import { writeNpy } from '../../../scripts/datasets/npy-writer';
import { listColumn, writeParquet } from '../../../scripts/datasets/parquet-file';
import { inspectBytes, plainRows, readPlan, wholeChunk } from '../../support/datasets/dataset-harness';
import { encodeJpeg, encodePng } from '../../support/inference/images';

/** A generated dataset: its bytes, how a job selects from it, and the rows it must read as. */
interface Case {
  readonly bytes: Buffer;
  readonly filename: string;
  readonly columns?: unknown;
  readonly keep?: unknown;
  readonly expected: unknown[];
}

const number = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((value) => (value === 0 ? 0 : value)));
/** Text with everything that makes CSV hard: delimiters, quotes, CR, LF, tabs, unicode. */
const note = fc.stringMatching(/^[a-z ,"\r\n\té✓]{0,12}$/);
const rowCount = fc.integer({ min: 1, max: 40 });

const delimitedCase = (delimiter: ',' | '\t', gzip: boolean): fc.Arbitrary<Case> =>
  fc.record({
    rows: fc.array(fc.tuple(number, number, note), { minLength: 1, maxLength: 40 }),
    crlf: fc.boolean(), bom: fc.boolean(), quoteAll: fc.boolean(), finalNewline: fc.boolean(),
  }).map(({ rows, crlf, bom, quoteAll, finalNewline }) => {
    const text = delimitedText(['x', 'note', 'y'], rows.map(([x, y, text]) => [String(x), text, String(y)]), { delimiter, crlf, bom, quoteAll, finalNewline });
    const bytes = Buffer.from(text, 'utf8');
    const name = delimiter === ',' ? 'data.csv' : 'data.tsv';
    return {
      bytes: gzip ? gzipSync(bytes) : bytes,
      filename: gzip ? `${name}.gz` : name,
      columns: ['y', 'x'],
      keep: ['note'],
      expected: rows.map(([x, y, text], row) => ({ row, values: [y, x], kept: { note: text } })),
    };
  });

/** JSON Lines of objects, with blank lines, CRLF and a bad line here and there. */
const jsonlObjectCase = (gzip: boolean): fc.Arbitrary<Case> =>
  fc.record({
    rows: fc.array(fc.record({ a: number, v: fc.tuple(number, number), bad: fc.boolean(), blank: fc.boolean() }), { minLength: 1, maxLength: 40 }),
    crlf: fc.boolean(),
  }).map(({ rows, crlf }) => {
    const lines = rows.flatMap(({ a, v, bad, blank }, index) => [
      ...(blank ? ['  '] : []),
      // The first row stays good, so it decides the kind and the list's length.
      bad && index > 0 ? '{"a": 1, "v": [1, 2' : JSON.stringify({ a, v, id: `r${index}` }),
    ]);
    const bytes = Buffer.from(lines.join(crlf ? '\r\n' : '\n'), 'utf8');
    return {
      bytes: gzip ? gzipSync(bytes) : bytes,
      filename: gzip ? 'rows.jsonl.gz' : 'rows.jsonl',
      columns: { a: 'a', v: ['v'] },
      keep: ['id'],
      expected: rows.map(({ a, v, bad }, row) => (bad && row > 0
        ? { row, error: expect.stringContaining('the line is not valid JSON') }
        : { row, named: { a: [a], v: [...v] }, kept: { id: `r${row}` } })),
    };
  });

const jsonlArrayCase: fc.Arbitrary<Case> = fc.array(fc.tuple(number, number, number), { minLength: 1, maxLength: 40 }).map((rows) => ({
  bytes: Buffer.from(rows.map((row) => JSON.stringify([[row[0], row[1]], [row[2], 0]])).join('\n'), 'utf8'),
  filename: 'arrays.ndjson',
  expected: rows.map((values, row) => ({ row, values: [values[0], values[1], values[2], 0] })),
}));

const parquetCase: fc.Arbitrary<Case> = fc.record({
  rows: fc.array(fc.tuple(number, fc.integer({ min: -1000, max: 1000 }), fc.tuple(number, number, number)), { minLength: 1, maxLength: 40 }),
  rowGroupSize: fc.integer({ min: 1, max: 9 }),
  codec: fc.constantFrom('UNCOMPRESSED' as const, 'SNAPPY' as const, 'GZIP' as const, 'ZSTD' as const),
}).map(({ rows, rowGroupSize, codec }) => ({
  bytes: writeParquet([
    { name: 'x', data: Float64Array.from(rows.map(([x]) => x)) },
    { name: 'n', data: Int32Array.from(rows.map(([, n]) => n)) },
    { name: 'v', data: rows.map(([, , v]) => [...v]) },
    { name: 's', data: rows.map((_, index) => `s${index}`) },
  ], {
    rowGroupSize, codec,
    schema: [{ name: 'root', num_children: 4 }, { name: 'x', type: 'DOUBLE', repetition_type: 'REQUIRED' }, { name: 'n', type: 'INT32', repetition_type: 'REQUIRED' }, ...listColumn('v'), { name: 's', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }],
  }),
  filename: 'data.parquet',
  columns: ['n', 'v', 'x'],
  keep: ['s'],
  expected: rows.map(([x, n, v], row) => ({ row, values: [n, ...v, x], kept: { s: `s${row}` } })),
}));

const NPY_DTYPES = ['<f8', '>f8', '<f4', '>i4', '<i2', '|u1', '<u8', '>i8', '|b1', '<f2'] as const;
const npyCase: fc.Arbitrary<Case> = fc.record({
  dtype: fc.constantFrom(...NPY_DTYPES),
  rows: rowCount,
  inner: fc.constantFrom([] as number[], [3], [2, 2]),
  version: fc.constantFrom(1 as const, 2 as const, 3 as const),
  gzip: fc.boolean(),
}).map(({ dtype, rows, inner, version, gzip }) => {
  const width = inner.reduce((product, dim) => product * dim, 1);
  // Small integers every dtype holds exactly (booleans as 0/1).
  const data = Array.from({ length: rows * width }, (_, index) => (dtype === '|b1' ? index % 2 : index % 100));
  const bytes = writeNpy({ dtype, shape: [rows, ...inner], data, version });
  return {
    bytes: gzip ? gzipSync(bytes) : bytes,
    filename: gzip ? 'array.npy.gz' : 'array.npy',
    expected: Array.from({ length: rows }, (_, row) => ({ row, values: data.slice(row * width, (row + 1) * width) })),
  };
});

const PIXELS = { width: 2, height: 2, channels: 3 as const, values: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]) };
const PNG = encodePng(PIXELS);
const JPEG = encodeJpeg(PIXELS);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

const tarCase: fc.Arbitrary<Case> = fc.record({
  members: fc.array(fc.constantFrom('png', 'jpeg', 'gif', 'dir', 'meta', 'text', 'big'), { minLength: 1, maxLength: 30 }),
  gzip: fc.boolean(),
}).map(({ members, gzip }) => {
  const entries: TarEntry[] = [{ name: 'images/0.png', bytes: PNG }];
  const expected: unknown[] = [{ row: 0, image: PNG.toString('base64'), kept: { path: 'images/0.png' } }];
  members.forEach((kind, index) => {
    const name = `images/${index + 1}`;
    const row = expected.length;
    if (kind === 'png' || kind === 'jpeg') {
      const bytes = kind === 'png' ? PNG : JPEG;
      entries.push({ name: `${name}.${kind === 'png' ? 'png' : 'jpg'}`, bytes });
      expected.push({ row, image: bytes.toString('base64'), kept: { path: `${name}.${kind === 'png' ? 'png' : 'jpg'}` } });
    } else if (kind === 'gif') {
      entries.push({ name: `${name}.gif`, bytes: GIF });
      expected.push({ row, error: `member "${name}.gif" is a GIF file; MLHub reads PNG and JPEG images` });
    } else if (kind === 'big') {
      const bytes = Buffer.concat([PNG, Buffer.alloc(4000)]);
      entries.push({ name: `${name}.png`, bytes });
      expected.push({ row, error: `member "${name}.png" is ${bytes.length} bytes, over the 3000 bytes a prediction accepts` });
    } else if (kind === 'dir') entries.push({ name: `${name}/`, type: 'directory' });
    else if (kind === 'meta') entries.push({ name: `images/._${index}.png`, bytes: Buffer.from('AppleDouble') });
    else entries.push({ name: `${name}.txt`, bytes: Buffer.from('not an image') });
  });
  return { bytes: Buffer.alloc(0), entries, gzip, filename: gzip ? 'images.tar.gz' : 'images.tar', keep: ['path'], expected } as Case & { entries: TarEntry[]; gzip: boolean };
});

const spacing = fc.record({ rows: fc.integer({ min: 1, max: 6 }), bytes: fc.integer({ min: 1, max: 300 }) });
const limits = fc.record({ maxRows: fc.integer({ min: 1, max: 15 }), maxBytes: fc.integer({ min: 1, max: 2000 }) });

/** Concatenating readChunk over planChunks equals the expected rows and reading the whole file as one chunk. */
async function checkRoundTrip(generated: Case, checkpointSpacing: { rows: number; bytes: number }, planLimits: { maxRows: number; maxBytes: number }): Promise<void> {
  let bytes = generated.bytes;
  const tar = generated as Case & { entries?: TarEntry[]; gzip?: boolean };
  if (tar.entries) bytes = await makeTar(tar.entries, tar.gzip);
  const inspected = await inspectBytes(bytes, generated.filename, checkpointSpacing);
  expect(inspected.inspection.rowCount).toBe(generated.expected.length);
  const selection = resolveSelection(inspected.inspection.schema, generated.columns, generated.keep);
  const chunks: DatasetChunk[] = planChunks(inspected.inspection, planLimits);
  const pieces = plainRows(await readPlan(inspected, chunks, selection, 3000));
  const whole = plainRows(await readPlan(inspected, wholeChunk(inspected.inspection), selection, 3000));
  expect(pieces).toEqual(generated.expected);
  expect(whole).toEqual(pieces);
  // A retried chunk reads the same rows again.
  const last = chunks[chunks.length - 1]!;
  expect(plainRows(await readPlan(inspected, [last], selection, 3000))).toEqual(plainRows(await readPlan(inspected, [last], selection, 3000)));
}

const RUNS = { numRuns: 40 };

describe('readChunk over planChunks reads every row once, in order, for every format', () => {
  const formats: [string, fc.Arbitrary<Case>][] = [
    ['CSV', delimitedCase(',', false)],
    ['TSV', delimitedCase('\t', false)],
    ['gzipped CSV', delimitedCase(',', true)],
    ['gzipped TSV', delimitedCase('\t', true)],
    ['JSON Lines of objects', jsonlObjectCase(false)],
    ['gzipped JSON Lines', jsonlObjectCase(true)],
    ['JSON Lines of arrays', jsonlArrayCase],
    ['Parquet', parquetCase],
    ['NPY', npyCase],
    ['image tars', tarCase],
  ];
  for (const [name, arbitrary] of formats) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(arbitrary, spacing, limits, checkRoundTrip), RUNS);
    });
  }
});
