import type { RowPrediction } from '../../inference/predictions';
import { fitPrediction, type FittedPrediction, type OutputColumns } from './output-columns';

/** A predicted row: its 0-based data row number, its prediction, and the kept input values by column name. */
export interface PartRow {
  readonly row: number;
  readonly prediction: RowPrediction;
  readonly kept?: Readonly<Record<string, unknown>>;
}

/** A row that has no prediction: the reader could not read it, or the model failed on it. One line of reason. */
export interface FailedRow {
  readonly row: number;
  readonly error: string;
}

/** One chunk's output: the part's bytes, its error lines (JSON Lines of `{"row","error"}`), and counts. */
export interface WrittenPart {
  readonly body: Buffer;
  readonly errors: Buffer;
  readonly rows: number;
  readonly failed: number;
}

/**
 * Writes one chunk's rows. Rows come in row order (`add` and `fail` interleaved); a row number not
 * above the last one is the caller's fault and throws RangeError. `add` answers false when the
 * prediction did not fit the job's OutputColumns (or a kept value its column's type): the row then
 * is an error line, not a crash.
 */
export interface PartWriter {
  add(row: PartRow): boolean;
  fail(row: FailedRow): void;
  finish(): WrittenPart;
}

/** One line of an error file: `{"row": n, "error": "..."}` (JSON escapes any newline in the reason). */
export const errorLine = (failure: FailedRow): string => `${JSON.stringify({ row: failure.row, error: failure.error })}\n`;

/** The row order, the error lines and the fit check every format shares. */
export abstract class RowsInOrder implements PartWriter {
  private last = -1;
  private readonly errorLines: string[] = [];
  private written = 0;

  constructor(protected readonly columns: OutputColumns) {}

  /** Writes a fitted row; answers a one-line reason instead when a kept value does not fit. */
  protected abstract write(row: PartRow, fitted: FittedPrediction): string | undefined;
  protected abstract body(): Buffer;

  add(row: PartRow): boolean {
    this.advance(row.row);
    const fitted = fitPrediction(this.columns, row.prediction);
    const refusal = typeof fitted === 'string' ? fitted : this.write(row, fitted);
    if (refusal !== undefined) {
      this.errorLines.push(errorLine({ row: row.row, error: refusal }));
      return false;
    }
    this.written += 1;
    return true;
  }

  fail(failure: FailedRow): void {
    this.advance(failure.row);
    this.errorLines.push(errorLine(failure));
  }

  finish(): WrittenPart {
    return { body: this.body(), errors: Buffer.from(this.errorLines.join('')), rows: this.written, failed: this.errorLines.length };
  }

  private advance(row: number): void {
    if (!Number.isSafeInteger(row) || row <= this.last) throw new RangeError(`row ${row} comes after row ${this.last}: a part's rows are written in row order`);
    this.last = row;
  }
}
