import { flatColumnNames, type FittedPrediction, type OutputColumns } from './output-columns';
import { csvCell, csvField, csvRecord } from './csv-text';
import { RowsInOrder, type PartRow } from './part-rows';

/**
 * A chunk's rows as CSV records (csv-text.ts: RFC 4180, CRLF), columns as output-columns.ts lays
 * them out. The header is the assembled file's, once: the writer of the first chunk is made with
 * `header: true` (and writes it even with no rows, so the file has it whatever the rows did), the
 * others without, and the assembler concatenates the parts as they are.
 */
export class CsvPartWriter extends RowsInOrder {
  private readonly records: string[] = [];

  constructor(columns: OutputColumns, options: { header: boolean }) {
    super(columns);
    if (options.header) this.records.push(csvRecord(flatColumnNames(columns).map(csvField)));
  }

  protected write(row: PartRow, fitted: FittedPrediction): undefined {
    const cells = [String(row.row)];
    for (const column of this.columns.kept) cells.push(csvCell(row.kept?.[column.name]));
    for (const values of fitted.values) for (const value of values) cells.push(csvCell(value));
    if (this.columns.labelled) cells.push(csvCell(fitted.label), csvCell(fitted.probability));
    this.records.push(csvRecord(cells));
    return undefined;
  }

  protected body(): Buffer {
    return Buffer.from(this.records.join(''));
  }
}
