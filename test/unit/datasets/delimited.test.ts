import { describe, expect, it } from 'vitest';
import { delimitedText } from '../../../scripts/datasets/delimited-text';
import { inspectBytes, plainRows, readAll } from '../../support/datasets/dataset-harness';
import { gzipSync } from 'node:zlib';

const csv = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('CSV and TSV', () => {
  it('reads RFC 4180 records: quoted fields with delimiters, doubled quotes and line breaks, CRLF and a BOM', async () => {
    const text = delimitedText(['a', 'note', 'b'], [['1', 'x, "y"\r\nz', '2'], ['3', '', '4.5']], { crlf: true, bom: true });
    const { inspection, source } = await inspectBytes(csv(text), 'data.csv');
    expect(inspection).toMatchObject({ format: 'csv', compression: 'none', rowCount: 2, readsFrom: 'data' });
    expect(inspection.schema).toEqual({ kind: 'columns', columns: [{ name: 'a', type: 'integer' }, { name: 'note', type: 'string' }, { name: 'b', type: 'number' }] });
    expect(inspection.layout).toMatchObject({ kind: 'lines', recordDelimiter: '\r\n', header: ['a', 'note', 'b'] });
    const rows = await readAll({ inspection, source }, ['a', 'b'], ['note']);
    expect(plainRows(rows)).toEqual([
      { row: 0, values: [1, 2], kept: { note: 'x, "y"\r\nz' } },
      { row: 1, values: [3, 4.5], kept: { note: '' } },
    ]);
  });

  it('reads TSV by extension and gzipped CSV through its plain copy', async () => {
    const tsv = await inspectBytes(csv('x\ty\n1\t2\n'), 'data.tsv');
    expect(tsv.inspection.format).toBe('tsv');
    expect(plainRows(await readAll(tsv))).toEqual([{ row: 0, values: [1, 2] }]);
    const gz = await inspectBytes(gzipSync(csv('x,y\n1,2\n3,4')), 'data.csv.gz');
    expect(gz.inspection).toMatchObject({ format: 'csv', compression: 'gzip', readsFrom: 'plain', rowCount: 2 });
    expect(plainRows(await readAll(gz))).toEqual([{ row: 0, values: [1, 2] }, { row: 1, values: [3, 4] }]);
  });

  it('reports bad rows per row, naming the column, and reads the rest', async () => {
    const text = 'a,b\n1,2\n1,2,3\nx,2\n1,NaN\n1,-inf\n1e400,1\n,1\nTRUE,false\n 7 , 8\n';
    const inspected = await inspectBytes(csv(text), 'bad.csv');
    const rows = plainRows(await readAll(inspected, ['a', 'b']));
    expect(rows).toEqual([
      { row: 0, values: [1, 2] },
      { row: 1, error: 'the row has 3 fields where the header has 2 columns' },
      { row: 2, error: expect.stringContaining('column "a" must hold only numbers (or booleans), found the string "x"') },
      { row: 3, error: expect.stringContaining('column "b" is the string "NaN"') },
      { row: 4, error: expect.stringContaining('column "b" is the string "-inf"') },
      { row: 5, error: expect.stringContaining('column "a" is beyond the range') },
      { row: 6, error: expect.stringContaining('column "a" is empty') },
      { row: 7, values: [1, 0] },
      { row: 8, values: [7, 8] },
    ]);
  });
});
