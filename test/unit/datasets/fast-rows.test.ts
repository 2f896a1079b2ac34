import fc from 'fast-check';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { resolveSelection } from '../../../functions/datasets/formats/column-selection';
import type { ChunkRow } from '../../../functions/datasets/formats/dataset-types';
import { planChunks } from '../../../functions/datasets/formats/plan-chunks';
import { bufferRangeSource } from '../../../functions/datasets/formats/range-source';
import { readChunk } from '../../../functions/datasets/formats/read-chunk';
import { RowAssembler } from '../../../functions/datasets/formats/row-assembler';
import { plainDecimalBytes } from '../../../functions/datasets/formats/text-number';
import { writeParquet } from '../../../scripts/datasets/parquet-file';
import { inspectBytes, plainRows, readPlan, readRows, wholeChunk } from '../../support/datasets/dataset-harness';

const bytesOf = (text: string) => Buffer.from(text, 'utf8');
const plain = (text: string) => plainDecimalBytes(bytesOf(text), 0, bytesOf(text).length);

/** Plain decimals as CSV writers print them: a sign, digits, a point, more digits. */
const decimal = fc.tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{0,12}$/), fc.boolean(), fc.stringMatching(/^[0-9]{0,12}$/))
  .map(([sign, whole, point, fraction]) => `${sign}${whole}${point ? '.' : ''}${point ? fraction : ''}`);
/** Fields a CSV may hold that are not plain decimals, or are numbers in another form. */
const odd = fc.constantFrom('', ' 1', '2 ', '1e3', '-2.5E-3', '0x10', 'true', 'FALSE', 'NaN', 'Infinity', 'abc', '1.2.3', '.', '-', '12345678901234567890', '0.1234567890123456789', '1e400', '١٢');

describe('plainDecimalBytes', () => {
  it('gives exactly what Number() gives for every plain decimal it takes, and leaves the rest to the text rules', () => {
    fc.assert(fc.property(fc.oneof(decimal, odd, fc.string({ maxLength: 8 })), (text) => {
      const value = plain(text);
      if (value !== undefined) expect(Object.is(value, Number(text)), text).toBe(true);
      // Every plain decimal of at most 15 significant digits is taken.
      if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) && text.replace(/[^0-9]/g, '').replace(/^0+/, '').length <= 15) expect(value, text).not.toBeUndefined();
    }), { numRuns: 3000 });
  });

  it('reads the sign of zero, bare points and leading zeros as Number() does, and reads only [start, end)', () => {
    expect(Object.is(plain('-0'), -0)).toBe(true);
    expect(Object.is(plain('-0.000'), -0)).toBe(true);
    expect([plain('007'), plain('.5'), plain('5.'), plain('+3'), plain('0.437'), plain('0.1')]).toEqual([7, 0.5, 5, 3, 0.437, 0.1]);
    for (const text of ['', '.', '-', '+', '1e5', ' 1', '1 ', '0x10', '1.2.3', '--1', '1234567890123456']) expect(plain(text), text).toBeUndefined();
    expect(plainDecimalBytes(bytesOf('12,34'), 3, 5)).toBe(34);
  });
});

/**
 * Reads every row of a CSV text through its whole-file chunk, with a selection; or, when the
 * selection is refused (a chosen column inferred as text), that refusal's code and message, so
 * both readers must agree on it too.
 */
async function csvRows(text: string, columns: unknown, keep: string[]): Promise<unknown[] | { refused: string }> {
  const inspected = await inspectBytes(Buffer.from(text), 'rows.csv');
  let selection: ReturnType<typeof resolveSelection>;
  try {
    selection = resolveSelection(inspected.inspection.schema, columns, keep);
  } catch (error) {
    return { refused: `${(error as { code?: string }).code}: ${(error as Error).message}` };
  }
  return plainRows(await readPlan(inspected, wholeChunk(inspected.inspection), selection));
}

describe('CSV rows read from bytes', () => {
  it('equal the text rules\' rows (csv-parse, field by field) for plain, odd and missing fields, chosen in any order, as named inputs, with kept text', async () => {
    const table = fc.record({
      rows: fc.array(fc.array(fc.oneof({ weight: 4, arbitrary: decimal }, { weight: 1, arbitrary: odd }), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
      short: fc.integer({ min: -1, max: 12 }),
      order: fc.shuffledSubarray(['a', 'b', 'c', 'd'], { minLength: 1 }),
      named: fc.boolean(),
      newline: fc.constantFrom('\n', '\r\n'),
    });
    await fc.assert(fc.asyncProperty(table, async ({ rows, short, order, named, newline }) => {
      // A first row of plain numbers types every column as numbers (mixed at worst), so each may be
      // chosen; unless that row is the short one (short = -1), when column d holds its note text
      // and choosing d is refused, by both readers alike.
      const body = [['1', '2', '3', '4'], ...rows].map((fields, index) => {
        const cells = index === short + 1 ? fields.slice(0, 3) : fields;
        return [...cells, `note ${index}`].join(',');
      });
      // With a quote anywhere, the chunk goes through csv-parse and the assembler field by field: the reference.
      const quoted = [...body.slice(0, -1), body[body.length - 1]!.replace(/note (\d+)$/, '"note $1"')];
      const columns = named ? { first: order.slice(0, 1), rest: order.slice(1).length > 0 ? order.slice(1) : order.slice(0, 1) } : order;
      const fast = await csvRows(`a,b,c,d,note${newline}${body.join(newline)}${newline}`, columns, ['note']);
      const reference = await csvRows(`a,b,c,d,note${newline}${quoted.join(newline)}${newline}`, columns, ['note']);
      expect(fast).toEqual(reference);
      if (!Array.isArray(fast)) expect(short, 'only a short first row makes a column text').toBe(-1);
    }), { numRuns: 150 });
  });
});

describe('Parquet rows built from decoded columns', () => {
  it('equal rows built from hyparquet\'s row objects: nulls, text, booleans, int64, float32 and lists, across row groups and chunk cuts', async () => {
    const table = fc.record({
      rows: fc.array(fc.tuple(fc.option(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { nil: null }), fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.constantFrom('1.5', 'x', '7')), { minLength: 1, maxLength: 30 }),
      rowGroupSize: fc.integer({ min: 1, max: 8 }),
      maxRows: fc.integer({ min: 1, max: 10 }),
    });
    await fc.assert(fc.asyncProperty(table, async ({ rows, rowGroupSize, maxRows }) => {
      const bytes = writeParquet([
        { name: 'x', data: rows.map(([x]) => x), type: 'DOUBLE', nullable: true },
        { name: 'n', data: BigInt64Array.from(rows.map(([, n]) => BigInt(n))), type: 'INT64' },
        { name: 'flag', data: rows.map(([, , flag]) => flag), type: 'BOOLEAN' },
        { name: 's', data: rows.map(([, , , s]) => s), type: 'STRING' },
        { name: 'v', data: rows.map(([, n]) => [n, n + 0.5]) },
        // Values a float32 holds exactly: kept as a Float32Array by the reader, and read back the same.
        { name: 'f', data: Float32Array.from(rows.map(([, n]) => n / 4)), type: 'FLOAT' },
      ], { rowGroupSize });
      const inspected = await inspectBytes(bytes, 'rows.parquet');
      const selections = [
        resolveSelection(inspected.inspection.schema, ['n', 'x', 'flag', 'f'], ['s']),
        resolveSelection(inspected.inspection.schema, { a: ['x'], b: ['flag', 'n'] }, []),
        resolveSelection(inspected.inspection.schema, ['v', 'n'], ['x']),
      ];
      const objects = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer });
      for (const selection of selections) {
        if (selection.kind !== 'columns' && selection.kind !== 'named') throw new Error('a columns selection');
        const assembler = new RowAssembler(selection, false);
        const expected = plainRows(objects.map((record, row) => assembler.build(row, (name) => (Object.hasOwn(record, name) ? record[name] : undefined))));
        const chunks = planChunks(inspected.inspection, { maxRows, maxBytes: 10_000 });
        const read: ChunkRow[] = [];
        for (const chunk of chunks) read.push(...await readRows(readChunk(inspected.inspection, chunk, bufferRangeSource(bytes), selection)));
        expect(plainRows(read)).toEqual(expected);
      }
    }), { numRuns: 60 });
  });
});
