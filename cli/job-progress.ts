/** The fields of a job (GET /jobs/{id}, the Job component) that its progress is drawn from. */
export interface JobProgressFields {
  readonly state: string;
  readonly rows_total: number | null;
  readonly rows_done: number;
  readonly rows_failed: number;
  /** Rows per second since the job started, as MLHub measures it (null before the first chunk is counted). */
  readonly throughput: number | null;
  /** Seconds left at that rate, while running (null otherwise). */
  readonly eta_seconds: number | null;
}

const BAR_WIDTH = 24;
const count = (value: number) => Math.round(value).toLocaleString('en-US');

/** Seconds as m:ss, or h:mm:ss from an hour. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const [hours, minutes, secs] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const pad = (value: number) => String(value).padStart(2, '0');
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(secs)}` : `${minutes}:${pad(secs)}`;
}

/**
 * One line of a job's progress: state, a bar, the percentage and rows worked through (done and
 * failed, out of the dataset's rows), failed rows, rows/s and ETA, as MLHub reports them:
 * `running  [#########---------------]  38%  38,000/100,000 rows | 2,412 rows/s | ETA 0:26`.
 */
export function progressLine(job: JobProgressFields): string {
  const worked = job.rows_done + job.rows_failed;
  const total = job.rows_total;
  const fraction = total ? Math.min(1, worked / total) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  return [
    `${job.state.padEnd(9)} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${`${Math.floor(fraction * 100)}%`.padStart(4)}`,
    ` ${count(worked)}/${total === null ? '?' : count(total)} rows`,
    job.rows_failed > 0 ? ` (${count(job.rows_failed)} failed)` : '',
    ` | ${job.throughput === null ? '-' : count(job.throughput)} rows/s`,
    ` | ETA ${job.eta_seconds === null ? '-' : clock(job.eta_seconds)}`,
  ].join('');
}

export interface ProgressSink {
  update(job: JobProgressFields): void;
  /** Ends the display (a redrawn line gets its line break). */
  stop(): void;
}

/**
 * Shows a job's progress on `stream`: on a terminal, one line redrawn in place at each update;
 * elsewhere (a pipe, a CI log), plain lines, one when the state changes or the first rate is
 * known, then at most one every `everyMs`, so a log is not flooded.
 */
export function progressDisplay(stream: NodeJS.WritableStream & { isTTY?: boolean }, everyMs = 5000): ProgressSink {
  let drawn = false;
  let lastState = '';
  let lastAt = 0;
  let rated = false;
  return {
    update(job) {
      const line = progressLine(job);
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
        return;
      }
      const now = Date.now();
      const firstRate = !rated && job.throughput !== null;
      if (job.state !== lastState || firstRate || now - lastAt >= everyMs) {
        stream.write(`${line}\n`);
        lastState = job.state;
        lastAt = now;
        rated ||= job.throughput !== null;
      }
    },
    stop() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** A display that shows nothing: for --json, whose stdout is for scripts and whose stderr stays quiet. */
export const silentProgress: ProgressSink = { update: () => undefined, stop: () => undefined };
