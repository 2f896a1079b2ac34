import { SingleBar } from 'cli-progress';
import { redactText } from '../functions/observability/log-redaction';

let redacting = false;

/**
 * Makes every later write to stdout and stderr pass through the server's redaction (redactText):
 * results, notices, errors, Commander's own messages and the progress bar alike, so a token or a
 * URL's userinfo the user typed (`--url http://u:mlh_…@host`, MLHUB_URL) is never echoed. Once per process.
 */
export function redactOutput(): void {
  if (redacting) return;
  redacting = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? redactText(chunk) : chunk, ...rest)) as typeof stream.write;
  }
}

/** What a command prints: JSON for scripts (--json), or lines for people. */
export class Output {
  constructor(readonly json: boolean) {}

  result(data: unknown, human: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
  }

  /** Progress for people on a terminal: bytes, rate and ETA; nothing for scripts or pipes. */
  progress(label: string, total: number): { update(done: number): void; stop(): void } {
    if (this.json || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
    const bar = new SingleBar({
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {done}/{size} | {rate} | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    });
    const started = Date.now();
    bar.start(total, 0, { done: humanBytes(0), size: humanBytes(total), rate: '-' });
    return {
      update: (done) => bar.update(done, { done: humanBytes(done), rate: `${humanBytes(done / Math.max(0.001, (Date.now() - started) / 1000))}/s` }),
      stop: () => bar.stop(),
    };
  }
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
