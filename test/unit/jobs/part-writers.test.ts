import { parse } from 'csv-parse/sync';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { describeOutputs, fitPrediction, flatColumnNames, OutputColumnClash, outputColumnsFromPrediction, outputColumnsFromSignature, type OutputColumns } from '../../../functions/jobs/outputs/output-columns';
import { createPartWriter, MAX_FLAT_COLUMNS, TooManyColumns, type PartRow } from '../../../functions/jobs/outputs/part-writer';

const toArrayBuffer = (bytes: Buffer): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
const readParquet = (bytes: Buffer) => parquetReadObjects({ file: toArrayBuffer(bytes) });
const errorLines = (bytes: Buffer) => bytes.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { row: number; error: string });

/** Awkward but valid values: shortest round-trip decimals, the extremes of float64, -0, the predict API's non-finite strings. */
const NUMBERS = [0.1 + 0.2, 5e-324, Number.MAX_VALUE, -0, 1e21, 123456789.12345679, 'NaN', 'Infinity', '-Infinity'] as const;

const KEPT = [
  { name: 'note', type: 'string' },
  { name: 'size', type: 'number' },
  { name: 'id', type: 'integer' },
  { name: '3', type: 'string' },
] as const;

const single: PartRow[] = NUMBERS.map((value, index) => ({
  row: index * 2 + 5,
  prediction: { output: [value, index, -index / 3], label: index % 2 ? 'cat' : 'dög, "the" best', probability: 1 / (index + 3) },
  kept: { note: ['plain', 'comma, here', 'a "quote"', 'two\r\nlines', '', 'ünïcödé 🙂', ' spaced '][index % 7], size: index + 0.5, id: index === 3 ? 9007199254740993n : index, 3: `k${index}` },
}));

function columnsOf(rows: readonly PartRow[]): OutputColumns {
  return outputColumnsFromPrediction(rows[0]!.prediction, { kept: [...KEPT], labelled: true });
}

function writeAll(format: 'jsonl' | 'csv' | 'parquet', columns: OutputColumns, rows: readonly PartRow[], chunk = 0) {
  const writer = createPartWriter(format, columns, chunk);
  for (const row of rows) writer.add(row);
  return writer.finish();
}

/** What a reader gets back for a number as the predict API writes it. */
const asNumber = (value: number | string) => (typeof value === 'number' ? value : Number(value));

describe('the output columns', () => {
  it('lays out row, kept columns, flattened outputs, label and probability', () => {
    expect(flatColumnNames(columnsOf(single))).toEqual(['row', 'note', 'size', 'id', '3', 'output_0', 'output_1', 'output_2', 'label', 'probability']);
    const named = outputColumnsFromPrediction({ outputs: { score: 0.5, box: [[1, 2], [3, 4]] } }, { kept: [] });
    expect(flatColumnNames(named)).toEqual(['row', 'score', 'box_0', 'box_1', 'box_2', 'box_3']);
  });

  it('refuses a kept column that takes a result column\'s name, naming its index', () => {
    expect(() => outputColumnsFromPrediction({ output: [1, 2] }, { kept: [{ name: 'a', type: 'number' }, { name: 'output_1', type: 'number' }] })).toThrow(OutputColumnClash);
    try {
      outputColumnsFromPrediction({ output: [1] }, { kept: [{ name: 'label', type: 'string' }], labelled: true });
    } catch (error) {
      expect(error).toMatchObject({ column: 'label', keptIndex: 0 });
    }
    expect(() => outputColumnsFromPrediction({ output: [1] }, { kept: [{ name: 'outputs', type: 'string' }] })).toThrow(OutputColumnClash);
    expect(() => describeOutputs({ kept: [], form: 'named', outputs: [{ name: 'a', shape: [2], kind: 'number' }, { name: 'a_1', shape: [], kind: 'number' }], labelled: false })).toThrow(/a_1/);
  });
});

describe('the column limit', () => {
  it('refuses CSV and Parquet results of more than 100,000 columns, but not JSON Lines', () => {
    const columns = describeOutputs({ kept: [], form: 'single', outputs: [{ name: 'output', shape: [1, 512, 512], kind: 'number' }], labelled: false });
    expect(() => createPartWriter('csv', columns, 0)).toThrow(TooManyColumns);
    expect(() => createPartWriter('parquet', columns, 0)).toThrow(TooManyColumns);
    expect(createPartWriter('jsonl', columns, 0).finish().body.length).toBe(0);
    const wide = describeOutputs({ kept: [], form: 'single', outputs: [{ name: 'output', shape: [MAX_FLAT_COLUMNS - 1], kind: 'number' }], labelled: false });
    expect(() => createPartWriter('csv', wide, 0)).not.toThrow();
  });
});

describe('the output columns from a signature', () => {
  it('takes fixed row shapes and element kinds from the outputs, the batch axis dropped', () => {
    const columns = outputColumnsFromSignature({ inputs: [], outputs: [{ name: 'probs', datatype: 'FP32', shape: ['N', 10] }] }, { kept: [], labelled: true });
    expect(columns).toEqual({ kept: [], form: 'single', outputs: [{ name: 'output', shape: [10], kind: 'number' }], labelled: true });
    expect(flatColumnNames(columns!)).toEqual(['row', ...Array.from({ length: 10 }, (_, index) => `output_${index}`), 'label', 'probability']);
    expect(fitPrediction(columns!, { output: Array.from({ length: 10 }, () => 0.1), label: '3', probability: 0.1 })).toMatchObject({ label: '3' });
    const scalars = outputColumnsFromSignature({ inputs: [], outputs: [{ name: 'flag', datatype: 'BOOL', shape: [null] }, { name: 'box', datatype: 'INT64', shape: [null, 2, 2] }] }, { kept: [], labelled: false });
    expect(flatColumnNames(scalars!)).toEqual(['row', 'flag', 'box_0', 'box_1', 'box_2', 'box_3']);
    expect(scalars!.outputs.map((field) => field.kind)).toEqual(['boolean', 'number']);
  });

  it('leaves the layout to the data when the signature cannot say it', () => {
    const open = (shape: (number | string | null)[] | null, datatype: 'FP32' | null = 'FP32') => outputColumnsFromSignature({ inputs: [], outputs: [{ name: 'y', datatype, shape }] }, { kept: [], labelled: false });
    expect(open(['N', 'classes'])).toBeUndefined();
    expect(open(['N', -1])).toBeUndefined();
    expect(open(null)).toBeUndefined();
    expect(open([])).toBeUndefined();
    expect(open(['N'], null)).toBeUndefined();
    expect(open(['N'])).toMatchObject({ outputs: [{ shape: [] }] });
  });
});

describe('the JSON Lines part writer', () => {
  it('writes one object per row that reads back as the rows given, keys in column order', async () => {
    const part = writeAll('jsonl', columnsOf(single), single);
    const lines = part.body.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual(single.map((row) => ({
      row: row.row,
      ...Object.fromEntries(KEPT.map(({ name }) => [name, typeof row.kept?.[name] === 'bigint' ? '9007199254740993' : row.kept?.[name]])),
      output: (row.prediction.output as unknown[]).map((value) => (Object.is(value, -0) ? 0 : value)),
      label: row.prediction.label,
      probability: row.prediction.probability,
    })));
    // Text, not JSON.parse: a parsed object lists the integer-like key "3" first whatever the line's order.
    expect(lines[0]).toBe('{"row":5,"note":"plain","size":0.5,"id":0,"3":"k0","output":[0.30000000000000004,0,0],"label":"dög, \\"the\\" best","probability":0.3333333333333333}');
    expect(part).toMatchObject({ rows: single.length, failed: 0 });
    expect(part.errors.length).toBe(0);
  });

  it('keeps several outputs by name, nested', () => {
    const rows: PartRow[] = [{ row: 0, prediction: { outputs: { score: 0.5, box: [[1, 2], [3, 'NaN']] } } }];
    const part = writeAll('jsonl', outputColumnsFromPrediction(rows[0]!.prediction, { kept: [] }), rows);
    expect(JSON.parse(part.body.toString())).toEqual({ row: 0, outputs: { score: 0.5, box: [[1, 2], [3, 'NaN']] } });
  });
});

describe('the CSV part writer', () => {
  it('writes RFC 4180 records that csv-parse reads back as the rows given, numbers exact', () => {
    const columns = columnsOf(single);
    const part = writeAll('csv', columns, single);
    expect(part.body.toString('utf8').endsWith('\r\n')).toBe(true);
    const records = parse(part.body, { relax_column_count: false }) as string[][];
    expect(records[0]).toEqual(flatColumnNames(columns));
    expect(records.slice(1)).toEqual(single.map((row) => [
      String(row.row),
      row.kept?.note,
      String(row.kept?.size),
      String(row.kept?.id),
      row.kept?.[3],
      ...(row.prediction.output as (number | string)[]).map((value) => (Object.is(value, -0) ? '-0' : String(value))),
      row.prediction.label,
      String(row.prediction.probability),
    ]));
    const outputs = records.slice(1).map((record) => record.slice(5, 8).map(Number));
    outputs.forEach((values, index) => expect(values).toEqual((single[index]!.prediction.output as (number | string)[]).map(asNumber)));
    expect(Object.is(outputs[3]![0], -0)).toBe(true);
  });

  it('writes the header in chunk 0\'s part only, even when it has no rows', () => {
    const columns = columnsOf(single);
    expect(writeAll('csv', columns, [], 0).body.toString()).toBe(`${flatColumnNames(columns).join(',')}\r\n`);
    const later = writeAll('csv', columns, single.slice(0, 2), 7);
    expect((parse(later.body) as string[][]).map((record) => record[0])).toEqual(['5', '7']);
  });
});

describe('the Parquet part writer', () => {
  it('writes a file that hyparquet reads back as the rows given, with typed columns', async () => {
    const columns = columnsOf(single);
    const part = writeAll('parquet', columns, single);
    const rows = await readParquet(part.body);
    expect(rows).toEqual(single.map((row) => ({
      row: BigInt(row.row),
      note: row.kept?.note,
      size: row.kept?.size,
      id: BigInt(row.kept?.id as number | bigint),
      3: row.kept?.[3],
      ...Object.fromEntries((row.prediction.output as (number | string)[]).map((value, index) => [`output_${index}`, asNumber(value)])),
      label: row.prediction.label,
      probability: row.prediction.probability,
    })));
    expect(Object.is(rows[3]!.output_0, -0)).toBe(true);
    const schema = parquetMetadata(toArrayBuffer(part.body)).schema.map((element) => [element.name, element.type, element.repetition_type]);
    expect(schema).toEqual([['root', undefined, undefined], ['row', 'INT64', 'REQUIRED'], ['note', 'BYTE_ARRAY', 'OPTIONAL'], ['size', 'DOUBLE', 'OPTIONAL'], ['id', 'INT64', 'OPTIONAL'], ['3', 'BYTE_ARRAY', 'OPTIONAL'],
      ['output_0', 'DOUBLE', 'REQUIRED'], ['output_1', 'DOUBLE', 'REQUIRED'], ['output_2', 'DOUBLE', 'REQUIRED'], ['label', 'BYTE_ARRAY', 'OPTIONAL'], ['probability', 'DOUBLE', 'OPTIONAL']]);
  });

  it('writes a valid file with no rows', async () => {
    const part = writeAll('parquet', columnsOf(single), []);
    expect(await readParquet(part.body)).toEqual([]);
    expect(parquetMetadata(toArrayBuffer(part.body)).schema).toHaveLength(11);
  });

  it('makes a kept value its column cannot hold an error row, and keeps the columns aligned', async () => {
    const columns = columnsOf(single);
    const rows: PartRow[] = [{ ...single[0]!, row: 0 }, { ...single[1]!, row: 1, kept: { ...single[1]!.kept, size: 'twelve' } }, { ...single[2]!, row: 2 }];
    const part = writeAll('parquet', columns, rows);
    expect((await readParquet(part.body)).map((row) => [row.row, row.size])).toEqual([[0n, 0.5], [2n, 2.5]]);
    expect(errorLines(part.errors)).toEqual([{ row: 1, error: 'size holds "twelve", which is not a number' }]);
  });
});

describe('every part writer', () => {
  it.each(['jsonl', 'csv', 'parquet'] as const)('%s: writes rows that do not fit and failed rows as error lines in row order', async (format) => {
    const columns = columnsOf(single);
    const writer = createPartWriter(format, columns, 1);
    expect(writer.add({ row: 0, prediction: { output: [1, 2, 3] } })).toBe(true);
    writer.fail({ row: 1, error: 'column x0: "abc" is not a number' });
    expect(writer.add({ row: 2, prediction: { output: [1, 2] } })).toBe(false);
    expect(writer.add({ row: 3, prediction: { outputs: { a: [1, 2, 3] } } })).toBe(false);
    expect(writer.add({ row: 4, prediction: { output: [1, 'yes', 3] } })).toBe(false);
    expect(writer.add({ row: 6, prediction: { output: [4, 5, 6] }, kept: { note: 'x' } })).toBe(true);
    expect(() => writer.fail({ row: 6, error: 'again' })).toThrow(RangeError);
    const part = writer.finish();
    expect(part).toMatchObject({ rows: 2, failed: 4 });
    expect(errorLines(part.errors)).toEqual([
      { row: 1, error: 'column x0: "abc" is not a number' },
      { row: 2, error: 'output has shape [2] where the first rows had [3]' },
      { row: 3, error: 'the prediction has several outputs where the first rows had one' },
      { row: 4, error: 'output holds string values where the first rows had numbers' },
    ]);
  });
});
