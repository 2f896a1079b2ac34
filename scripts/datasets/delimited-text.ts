/**
 * Writes rows as CSV or TSV text (RFC 4180 §2): fields holding the delimiter, a quote, CR or LF
 * are quoted with inner quotes doubled; `quoteAll` quotes every field. Options add a UTF-8 BOM,
 * CRLF line breaks and a final line break or not.
 */
export interface DelimitedOptions {
  readonly delimiter?: ',' | '\t';
  readonly crlf?: boolean;
  readonly bom?: boolean;
  readonly quoteAll?: boolean;
  readonly finalNewline?: boolean;
}

export function quoteField(field: string, delimiter: string, quoteAll = false): string {
  return quoteAll || field.includes(delimiter) || /["\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

export function delimitedText(header: readonly string[], rows: readonly (readonly string[])[], options: DelimitedOptions = {}): string {
  const delimiter = options.delimiter ?? ',';
  const newline = options.crlf ? '\r\n' : '\n';
  const lines = [header, ...rows].map((fields) => fields.map((field) => quoteField(field, delimiter, options.quoteAll)).join(delimiter));
  return `${options.bom ? '\uFEFF' : ''}${lines.join(newline)}${options.finalNewline === false ? '' : newline}`;
}
