import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseColumns, resultFormat } from '../../cli/batch-predict';
import { clock, progressDisplay, progressLine, type JobProgressFields } from '../../cli/job-progress';

const job = (fields: Partial<JobProgressFields> = {}): JobProgressFields => ({
  state: 'running', rows_total: 100_000, rows_done: 38_000, rows_failed: 0, throughput: 2412.4, eta_seconds: 26, ...fields,
});

/** A stream that records what was written, a terminal or not. */
function capture(isTTY: boolean) {
  const written: string[] = [];
  const stream = Object.assign(new Writable({ write(chunk: Buffer, _encoding, callback) { written.push(chunk.toString()); callback(); } }), { isTTY });
  return { stream, written };
}

describe('the batch job progress line', () => {
  it('shows state, bar, percentage, rows worked of the total, failures, rows/s and ETA', () => {
    expect(progressLine(job())).toBe('running   [#########---------------]  38% 38,000/100,000 rows | 2,412 rows/s | ETA 0:26');
    expect(progressLine(job({ rows_done: 49_990, rows_failed: 10, eta_seconds: 3725 }))).toBe('running   [############------------]  50% 50,000/100,000 rows (10 failed) | 2,412 rows/s | ETA 1:02:05');
    expect(progressLine(job({ state: 'queued', rows_total: null, rows_done: 0, throughput: null, eta_seconds: null }))).toBe('queued    [------------------------]   0% 0/? rows | - rows/s | ETA -');
  });

  it('reads seconds as m:ss, or h:mm:ss from an hour', () => {
    expect([clock(0), clock(59.6), clock(61), clock(3600), clock(-5)]).toEqual(['0:00', '1:00', '1:01', '1:00:00', '0:00']);
  });

  it('redraws one line on a terminal, and ends it with a line break', () => {
    const { stream, written } = capture(true);
    const display = progressDisplay(stream);
    display.update(job({ rows_done: 1 }));
    display.update(job({ rows_done: 2 }));
    display.stop();
    expect(written).toHaveLength(3);
    const redraw = '\r\u001b[2K';
    expect(written[0]?.startsWith(`${redraw}running `) && written[0].endsWith(' 1/100,000 rows | 2,412 rows/s | ETA 0:26')).toBe(true);
    expect(written[1]?.startsWith(`${redraw}running `) && written[1].endsWith(' 2/100,000 rows | 2,412 rows/s | ETA 0:26')).toBe(true);
    expect(written[2]).toBe('\n');
  });

  it('writes plain lines elsewhere: at each state, at the first rate, then no more often than asked', () => {
    const { stream, written } = capture(false);
    const display = progressDisplay(stream, 60_000);
    display.update(job({ state: 'queued', throughput: null, eta_seconds: null, rows_done: 0 }));
    display.update(job({ throughput: null, eta_seconds: null, rows_done: 0 }));
    display.update(job({ rows_done: 10 }));
    display.update(job({ rows_done: 20 }));
    display.update(job({ state: 'succeeded', rows_done: 100_000, eta_seconds: null }));
    display.stop();
    expect(written.map((line) => line.split(' ')[0])).toEqual(['queued', 'running', 'running', 'succeeded']);
    expect(written[2]).toMatch(/ 10\/100,000 rows \| 2,412 rows\/s \| ETA 0:26\n$/);
    expect([written.join('').includes('\r'), written.join('').includes('\u001b')]).toEqual([false, false]);
  });
});

describe('the batch job options', () => {
  it('takes the results format from --out, or --format, which must agree', () => {
    expect([resultFormat('p.csv'), resultFormat('P.JSONL'), resultFormat('dir/p.parquet'), resultFormat('p.txt', 'csv'), resultFormat('p.csv', 'csv')]).toEqual(['csv', 'jsonl', 'parquet', 'csv', 'csv']);
    expect(() => resultFormat('p.txt')).toThrow('Cannot tell the results format from --out p.txt');
    expect(() => resultFormat('p.csv', 'jsonl')).toThrow('--format jsonl does not match --out p.csv');
    expect(() => resultFormat('p', 'xml')).toThrow('--format must be one of csv, jsonl, parquet, not xml');
  });

  it('reads --columns as a list, or as named inputs in JSON', () => {
    expect(parseColumns('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(parseColumns(' {"x": ["a", "b"], "y": "c"}')).toEqual({ x: ['a', 'b'], y: 'c' });
    expect(() => parseColumns('{x')).toThrow(/--columns must be a list/);
  });
});
