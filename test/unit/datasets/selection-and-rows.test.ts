import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../functions/errors/app-error';
import { resolveSelection } from '../../../functions/datasets/formats/column-selection';
import type { DatasetSchema } from '../../../functions/datasets/formats/dataset-types';
import { planChunks } from '../../../functions/datasets/formats/plan-chunks';
import { delimitedText } from '../../../scripts/datasets/delimited-text';
import { makeTar } from '../../../scripts/datasets/image-tar';
import { inspectBytes, plainRows, readAll, readPlan } from '../../support/datasets/dataset-harness';
import { encodePng } from '../../support/inference/images';

const schema: DatasetSchema = { kind: 'columns', columns: [{ name: 'a', type: 'number' }, { name: 'b', type: 'integer' }, { name: 'id', type: 'string' }, { name: 'v', type: 'list<number>', length: 3 }] };

function refused(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

describe('resolveSelection', () => {
  it('resolves lists, named inputs and kept columns', () => {
    expect(resolveSelection(schema, ['v', 'a'], ['id'])).toEqual({ kind: 'columns', columns: [{ name: 'v', length: 3 }, { name: 'a' }], keep: ['id'] });
    expect(resolveSelection(schema, { x: ['a', 'b'], w: 'v' }, undefined)).toEqual({ kind: 'named', inputs: [{ name: 'x', columns: [{ name: 'a' }, { name: 'b' }] }, { name: 'w', columns: [{ name: 'v', length: 3 }] }], keep: [] });
    expect(resolveSelection(schema, undefined, ['id'])).toEqual({ kind: 'columns', columns: [{ name: 'a' }, { name: 'b' }, { name: 'v', length: 3 }], keep: ['id'] });
    expect(resolveSelection({ kind: 'array', shape: [3, 2], dtype: '<f4' }, undefined, [])).toEqual({ kind: 'array', keep: [] });
    expect(resolveSelection({ kind: 'images', formats: { png: 1, jpeg: 0 } }, null, ['path'])).toEqual({ kind: 'images', keep: ['path'] });
  });

  it('answers 400 invalid_columns naming the entry', () => {
    const cases: [unknown, unknown, string, DatasetSchema?][] = [
      [['a', 'nope'], undefined, 'columns[1] names column "nope", which the dataset does not have (its columns: "a", "b", "id", "v")'],
      [['a', 'a'], undefined, 'columns[1] names column "a" again (as columns[0])'],
      [['a', 'id'], undefined, 'columns[1] names column "id", which holds text, not numbers'],
      [['a', 3], undefined, 'columns[1] must be a column name'],
      [[], undefined, 'columns must name at least one column'],
      ['a', undefined, 'columns must be an array of column names, or an object'],
      [{ x: ['a', 'zz'] }, undefined, 'columns.x[1] names column "zz"'],
      [['a'], ['b', 'missing'], 'keep[1] names column "missing"'],
      [['a'], 'b', 'keep must be an array of column names'],
      [undefined, undefined, 'columns: without a list every column not kept is an input, and column "id" holds text'],
      [['a'], undefined, 'columns: the dataset is an array', { kind: 'array', shape: [1, 2], dtype: '<f8' }],
      [undefined, ['name'], 'keep[0]: an image archive can keep only "path"', { kind: 'images', formats: { png: 1, jpeg: 0 } }],
    ];
    for (const [columns, keep, message, other] of cases) {
      const error = refused(() => resolveSelection(other ?? schema, columns, keep));
      expect(error.code, message).toBe('invalid_columns');
      expect(error.kind).toBe('invalid');
      expect(error.message).toContain(message);
    }
  });
});

describe('bad rows', () => {
  it('JSON Lines: another kind of line, missing columns, lists of another length, wrong shapes', async () => {
    const objects = await inspectBytes(Buffer.from([
      '{"a": 1, "v": [1, 2, 3]}', '[1, 2]', '{"v": [1, 2, 3]}', '{"a": 2, "v": [1, 2]}', '{"a": "1", "v": [1, 2, 3]}', '{"a": true, "v": [1, 1e400, 3]}',
    ].join('\n')), 'a.jsonl');
    expect(objects.inspection.schema).toEqual({ kind: 'columns', columns: [{ name: 'a', type: 'mixed' }, { name: 'v', type: 'list<number>', length: 3 }] });
    expect(plainRows(await readAll(objects, ['a', 'v']))).toEqual([
      { row: 0, values: [1, 1, 2, 3] },
      { row: 1, error: "the line holds an array where the dataset's rows are objects" },
      { row: 2, error: 'column "a" is missing from the row' },
      { row: 3, error: 'column "v" holds 2 values where 3 were expected (the length of its first row)' },
      { row: 4, error: 'column "a" must hold only numbers (or booleans), found the string "1"' },
      { row: 5, error: expect.stringContaining('column "v"[1] is beyond the range of any number type') },
    ]);
    const arrays = await inspectBytes(Buffer.from('[[1, 2], [3, 4]]\n[[1, 2]]\n{"a": 1}\n[[1, 2], [3, null]]\n'), 'b.jsonl');
    expect(arrays.inspection.schema).toEqual({ kind: 'array', shape: [4, 2, 2], dtype: '<f8' });
    expect(plainRows(await readAll(arrays))).toEqual([
      { row: 0, values: [1, 2, 3, 4] },
      { row: 1, error: "the row has shape [1, 2] where the dataset's rows are [2, 2] (the first row's)" },
      { row: 2, error: "the line holds an object where the dataset's rows are arrays" },
      { row: 3, error: 'row[1][1] must hold only numbers (or booleans), found null' },
    ]);
  });

  it('image tars: rows in archive order, other files skipped and counted, wrong images and big ones as bad rows', async () => {
    const png = encodePng({ width: 1, height: 1, channels: 1, values: Uint8Array.from([7]) });
    const tar = await makeTar([
      { name: 'set/', type: 'directory' },
      { name: 'set/b.png', bytes: png },
      { name: 'set/._b.png', bytes: Buffer.from('x') },
      { name: 'set/labels.csv', bytes: Buffer.from('a,b') },
      { name: 'set/a.jpg', bytes: png },
      { name: 'set/c.jpeg', bytes: Buffer.from('not really') },
      { name: 'set/link.png', type: 'symlink', linkname: 'b.png' },
      { name: 'set/huge', bytes: Buffer.concat([png, Buffer.alloc(100)]) },
    ], true);
    const inspected = await inspectBytes(tar, 'set.tgz');
    expect(inspected.inspection).toMatchObject({ format: 'image-tar', compression: 'gzip', rowCount: 4, schema: { kind: 'images', formats: { png: 3, jpeg: 0 } } });
    expect(inspected.inspection.layout).toMatchObject({ ignored: { directories: 1, metadata: 1, other: 2 } });
    const rows = await readPlan(inspected, planChunks(inspected.inspection, { maxRows: 2, maxBytes: 1 << 20 }), resolveSelection(inspected.inspection.schema, undefined, ['path']), png.length + 50);
    expect(plainRows(rows)).toEqual([
      { row: 0, image: png.toString('base64'), kept: { path: 'set/b.png' } },
      // The bytes decide: a PNG named .jpg is a PNG.
      { row: 1, image: png.toString('base64'), kept: { path: 'set/a.jpg' } },
      { row: 2, error: 'member "set/c.jpeg" is neither a PNG nor a JPEG file; MLHub reads PNG and JPEG images' },
      { row: 3, error: `member "set/huge" is ${png.length + 100} bytes, over the ${png.length + 50} bytes a prediction accepts` },
    ]);
  });
});

describe('CSV chunks', () => {
  it('cut only at record starts, so a quoted field with line breaks is never split across chunks', async () => {
    const notes = ['one', 'two\nlines', 'three\r\nlines\nhere', 'x', 'y\n\n\nz'];
    const text = delimitedText(['n', 'note'], notes.map((note, index) => [String(index), note]));
    const inspected = await inspectBytes(Buffer.from(text), 'q.csv', { rows: 1, bytes: 1 });
    const chunks = planChunks(inspected.inspection, { maxRows: 1, maxBytes: 1 });
    expect(chunks).toHaveLength(notes.length);
    // A line-based cutter would start chunks right after the quoted line breaks: these do not.
    const newlines = [...text.matchAll(/\n/g)].map((match) => match.index! + 1);
    expect(chunks.every((chunk) => newlines.includes(chunk.byteStart!))).toBe(true);
    expect(chunks.map((chunk) => text.slice(chunk.byteStart, chunk.byteEnd))).toEqual(notes.map((note, index) => `${index},${/[\n"]/.test(note) ? `"${note}"` : note}\n`));
    const rows = await readPlan(inspected, chunks, resolveSelection(inspected.inspection.schema, ['n'], ['note']));
    expect(plainRows(rows)).toEqual(notes.map((note, row) => ({ row, values: [row], kept: { note } })));
  });

  it('split alike whether records come before or after the first quote, with CR, LF or CR LF breaks', async () => {
    for (const newline of ['\n', '\r\n', '\r']) {
      const lines = ['n,note', ...Array.from({ length: 30 }, (_, index) => `${index},${index === 17 ? '"say ""hi""' + newline + 'twice"' : `plain ${index}`}`)];
      const text = `\uFEFF${lines.join(newline)}${newline}${newline}`;
      const inspected = await inspectBytes(Buffer.from(text), 'mixed.csv', { rows: 2, bytes: 1 });
      expect(inspected.inspection.rowCount).toBe(30);
      expect(inspected.inspection.layout).toMatchObject({ recordDelimiter: newline });
      const rows = plainRows(await readPlan(inspected, planChunks(inspected.inspection, { maxRows: 3, maxBytes: 40 }), resolveSelection(inspected.inspection.schema, ['n'], ['note'])));
      expect(rows).toEqual(Array.from({ length: 30 }, (_, row) => ({ row, values: [row], kept: { note: row === 17 ? `say "hi"${newline}twice` : `plain ${row}` } })));
    }
  });
});

