/**
 * Walks a protobuf message as its bytes stream past (Protocol Buffers encoding,
 * https://protobuf.dev/programming-guides/encoding/), keeping only the fields a plan asks for, so
 * that a few small fields can be read out of a message of any size with bounded memory: whatever
 * is not kept is counted past, never buffered.
 */

/**
 * What to do with each length-delimited field of a message, by field number: `descend` walks into
 * it as a nested message with its own plan; `capture` hands its bytes, whole, to `onCapture` under
 * the label. Every other field is skipped.
 */
export interface MessagePlan {
  readonly [field: number]: { readonly descend: MessagePlan } | { readonly capture: string };
}

/** Why the walk stopped short; the stream's later bytes are then ignored. */
export type ScanFailure =
  | { readonly kind: 'malformed'; readonly detail: string }
  | { readonly kind: 'over_budget'; readonly detail: string };

interface Frame {
  readonly plan: MessagePlan;
  /** Absolute offset where the message ends. */
  readonly end: number;
}

type State =
  | { readonly step: 'tag' }
  | { readonly step: 'length'; readonly field: number }
  | { readonly step: 'varint' }
  | { step: 'skip'; remaining: number }
  | { step: 'capture'; readonly label: string; remaining: number; readonly parts: Buffer[] };

/** Varints take at most 10 bytes (64 bits, 7 per byte). */
const MAX_VARINT_BYTES = 10;
/** Field numbers run from 1 to 2^29 − 1. */
const MAX_FIELD_NUMBER = 2 ** 29 - 1;

export class ProtobufScan {
  private readonly frames: Frame[];
  private state: State = { step: 'tag' };
  private offset = 0;
  /** The varint being read, and how many bytes of it were read. */
  private varint = 0;
  private varintBytes = 0;
  private captured = 0;
  failure: ScanFailure | undefined;

  /**
   * `budget`: the most bytes all captures may hold together; a capture past it stops the walk
   * with `over_budget`.
   */
  constructor(root: MessagePlan, private readonly budget: number, private readonly onCapture: (label: string, bytes: Buffer) => void) {
    this.frames = [{ plan: root, end: Number.POSITIVE_INFINITY }];
  }

  /** Bytes read so far. */
  get position(): number {
    return this.offset;
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.failure === undefined) {
      const state = this.state;
      if (state.step === 'skip' || state.step === 'capture') {
        const take = Math.min(state.remaining, chunk.length - at);
        if (state.step === 'capture') state.parts.push(chunk.subarray(at, at + take));
        state.remaining -= take;
        at += take;
        this.offset += take;
        if (state.remaining === 0) this.endField();
        continue;
      }
      if (state.step === 'tag' && this.varintBytes === 0) this.closeEndedFrames();
      if (this.failure !== undefined) return;
      const byte = chunk[at]!;
      at += 1;
      this.offset += 1;
      this.varint += (byte & 0x7f) * 2 ** (7 * this.varintBytes);
      this.varintBytes += 1;
      if (byte & 0x80) {
        if (this.varintBytes >= MAX_VARINT_BYTES) this.fail('malformed', 'a varint runs past 10 bytes');
        continue;
      }
      const value = this.varint;
      this.varint = 0;
      this.varintBytes = 0;
      this.onVarint(value);
    }
  }

  /** Whether the stream ended where a message may end: no field cut short, no nested message left open. */
  finish(): void {
    if (this.failure !== undefined) return;
    this.closeEndedFrames();
    if (this.failure !== undefined) return;
    if (this.state.step !== 'tag' || this.varintBytes > 0 || this.frames.length > 1) {
      this.fail('malformed', `the bytes end inside a field, at byte ${this.offset}: the file is truncated`);
    }
  }

  private onVarint(value: number): void {
    const state = this.state;
    if (state.step === 'varint') {
      this.endField();
      return;
    }
    if (state.step === 'length') {
      this.startLengthDelimited(state.field, value);
      return;
    }
    const field = Math.floor(value / 8);
    const wireType = value % 8;
    if (field === 0 || field > MAX_FIELD_NUMBER) return this.fail('malformed', `field number ${field} at byte ${this.offset}`);
    switch (wireType) {
      case 0: this.state = { step: 'varint' }; return;
      case 1: this.state = { step: 'skip', remaining: 8 }; return;
      case 2: this.state = { step: 'length', field }; return;
      case 5: this.state = { step: 'skip', remaining: 4 }; return;
      default: this.fail('malformed', `wire type ${wireType} (field ${field}) at byte ${this.offset}`);
    }
  }

  private startLengthDelimited(field: number, length: number): void {
    const frame = this.frames[this.frames.length - 1]!;
    if (this.offset + length > frame.end) return this.fail('malformed', `field ${field} at byte ${this.offset} runs past the message holding it`);
    const action = frame.plan[field];
    if (action && 'descend' in action) {
      this.frames.push({ plan: action.descend, end: this.offset + length });
      this.state = { step: 'tag' };
      return;
    }
    if (action && 'capture' in action) {
      if (this.captured + length > this.budget) return this.fail('over_budget', `more than ${this.budget} bytes`);
      this.captured += length;
      this.state = { step: 'capture', label: action.capture, remaining: length, parts: [] };
    } else {
      this.state = { step: 'skip', remaining: length };
    }
    if (length === 0) this.endField();
  }

  private endField(): void {
    const state = this.state;
    this.state = { step: 'tag' };
    if (state.step === 'capture') this.onCapture(state.label, Buffer.concat(state.parts));
  }

  private closeEndedFrames(): void {
    while (this.frames.length > 1) {
      const end = this.frames[this.frames.length - 1]!.end;
      if (this.offset < end) return;
      if (this.offset > end) return this.fail('malformed', `a field runs past the message holding it, at byte ${this.offset}`);
      this.frames.pop();
    }
  }

  private fail(kind: ScanFailure['kind'], detail: string): void {
    this.failure ??= { kind, detail };
  }
}
