import { Parser } from 'csv-parse';
import { csvOptions, detectedRecordDelimiter, MAX_RECORD_CHARS, type CsvRecord, type Delimiter } from './csv-dialect';
import { rejectDataset } from './refusal';

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A record with where it starts and ends (the end includes its delimiter). */
export interface PlacedRecord {
  readonly fields: string[];
  readonly start: number;
  readonly end: number;
}

/** csv-parse's synchronous core, which every Parser carries (`parser.api`, lib/index.js). */
interface ParserCore {
  parse(buffer: Buffer | undefined, end: boolean, push: (record: CsvRecord) => void, close: () => void): Error | undefined;
}

/**
 * Splits a CSV/TSV byte stream into records with their byte ranges, as csv-parse does with the
 * shared dialect (csv-dialect.ts), but without paying csv-parse's cost where it cannot matter:
 * until the first quote character, records are the text between record delimiters (detected as
 * csv-parse does: the first CR LF, LF or CR) and fields the pieces between delimiters; from the
 * record holding the first quote on, csv-parse itself reads the rest, started at that record's
 * first byte like any chunk reader. Records come out through `onRecord` (empty lines skipped).
 */
export class CsvRecordScanner {
  private mode: 'plain' | 'parsed' = 'plain';
  private pending: Buffer = Buffer.alloc(0);
  /** Offset of pending[0]: always a record start (or the file's start) in plain mode. */
  private base = 0;
  private recordDelimiter: string | undefined;
  private parser: Parser | undefined;
  private parsedBase = 0;
  private lastEnd = 0;

  constructor(private readonly delimiter: Delimiter, private readonly onRecord: (record: PlacedRecord) => void) {}

  get detectedDelimiter(): string | undefined {
    return this.recordDelimiter ?? (this.parser ? detectedRecordDelimiter(this.parser) : undefined);
  }

  write(chunk: Buffer): void {
    if (this.mode === 'parsed') return this.feed(chunk, false);
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.base === 0 && this.pending.length >= 3 && this.pending.subarray(0, 3).equals(BOM)) {
      // Not a record start yet: the BOM is skipped as csv-parse's `bom` does.
      this.pending = this.pending.subarray(3);
      this.base = 3;
    }
    if (this.pending.includes(QUOTE)) return this.switchToParser();
    this.scan(false);
  }

  end(): void {
    if (this.mode === 'parsed') return this.feed(undefined, true);
    this.scan(true);
  }

  private scan(final: boolean): void {
    let from = 0;
    for (;;) {
      if (this.recordDelimiter === undefined && !this.detect(final)) break;
      const to = this.recordDelimiter === undefined ? -1 : this.pending.indexOf(this.recordDelimiter, from);
      if (to === -1) break;
      this.emit(from, to, to + this.recordDelimiter!.length);
      from = to + this.recordDelimiter!.length;
    }
    if (final && from < this.pending.length) {
      this.emit(from, this.pending.length, this.pending.length);
      from = this.pending.length;
    }
    this.pending = this.pending.subarray(from);
    this.base += from;
    if (this.pending.length > MAX_RECORD_CHARS * 4) throw rejectDataset(`A record from byte ${this.base} is longer than ${MAX_RECORD_CHARS} characters`);
  }

  /** The first CR LF, LF or CR decides, as csv-parse's auto-discovery does; a CR at the end waits for the next byte. */
  private detect(final: boolean): boolean {
    const lf = this.pending.indexOf(LF);
    const cr = this.pending.indexOf(CR);
    if (cr === -1 && lf === -1) return false;
    if (cr !== -1 && (lf === -1 || cr < lf)) {
      if (cr === this.pending.length - 1 && !final) return false;
      this.recordDelimiter = this.pending[cr + 1] === LF ? '\r\n' : '\r';
    } else this.recordDelimiter = '\n';
    return true;
  }

  private emit(from: number, to: number, next: number): void {
    if (to - from > MAX_RECORD_CHARS) throw rejectDataset(`A record from byte ${this.base + from} is longer than ${MAX_RECORD_CHARS} characters`);
    if (to > from) this.onRecord({ fields: this.pending.toString('utf8', from, to).split(this.delimiter), start: this.base + from, end: this.base + next });
  }

  private switchToParser(): void {
    this.mode = 'parsed';
    // The BOM, if any, was skipped already: csv-parse starts at a record start either way.
    this.parser = new Parser({ ...csvOptions(this.delimiter, this.recordDelimiter), bom: false });
    this.parsedBase = this.base;
    this.lastEnd = this.base;
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    this.feed(rest, false);
  }

  private feed(chunk: Buffer | undefined, final: boolean): void {
    const core = (this.parser as unknown as { api: ParserCore }).api;
    const error = core.parse(chunk, final, (item) => {
      const end = this.parsedBase + item.info.bytes;
      this.onRecord({ fields: item.record, start: this.lastEnd, end });
      this.lastEnd = end;
    }, () => undefined);
    if (error) throw error;
  }
}
