import type { FittedPrediction } from './output-columns';
import { jsonText } from './output-values';
import { RowsInOrder, type PartRow } from './part-rows';

/**
 * A chunk's rows as JSON Lines (jsonlines.org): one object per row, keys in this order:
 * `row`, the kept columns, `output` (or `outputs` by name) nested as /predict gives it, then
 * `label` and `probability` when the row has them. Built as text rather than by JSON.stringify of
 * one object, which would move integer-like keys (a kept column named "3") to the front.
 */
export class JsonlPartWriter extends RowsInOrder {
  private readonly lines: string[] = [];

  protected write(row: PartRow, fitted: FittedPrediction): undefined {
    let line = `{"row":${row.row}`;
    for (const column of this.columns.kept) line += `,${JSON.stringify(column.name)}:${jsonText(row.kept?.[column.name])}`;
    line += this.columns.form === 'single'
      ? `,"output":${jsonText(row.prediction.output)}`
      : `,"outputs":{${this.columns.outputs.map((field) => `${JSON.stringify(field.name)}:${jsonText(row.prediction.outputs?.[field.name])}`).join(',')}}`;
    if (fitted.label !== undefined) line += `,"label":${JSON.stringify(fitted.label)}`;
    if (fitted.probability !== undefined) line += `,"probability":${jsonText(fitted.probability)}`;
    this.lines.push(`${line}}\n`);
    return undefined;
  }

  protected body(): Buffer {
    return Buffer.from(this.lines.join(''));
  }
}
