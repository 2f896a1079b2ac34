import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../atomic-file';

/** The environment variable that marks a worker as one local SageMaker's; its value is that SageMaker's state folder. */
export const WORKER_OWNER_ENV = 'MLHUB_LOCAL_SAGEMAKER';

/**
 * Whether `pid` is a worker this local SageMaker started: its command line runs `serveScript` and
 * its environment names `owner`. Read from /proc (Linux); elsewhere, or for a process gone or not
 * ours to read, false: a process id can be reused, so nothing is killed on a guess.
 */
export async function isOwnWorker(pid: number, serveScript: string, owner: string): Promise<boolean> {
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!cmdline.includes(serveScript)) return false;
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    return environ.includes(`${WORKER_OWNER_ENV}=${owner}`);
  } catch {
    return false;
  }
}

/**
 * The worker process ids of a run, kept in a file of the state folder (endpoint name → pid) so
 * that the next run can stop workers a crash left behind (serve.py also exits by itself once its
 * parent is gone; this covers a worker still loading its model, or one started by an older MLHub).
 */
export class WorkerPidFile {
  private readonly pids = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  /**
   * Kills (SIGKILL) the workers the previous run recorded that are still its own (isOwnWorker),
   * and starts the record afresh; returns the endpoints whose workers were killed.
   */
  async reap(serveScript: string, owner: string, log: (line: string) => void): Promise<string[]> {
    let recorded: Record<string, number> = {};
    try {
      recorded = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, number>;
    } catch {
      // No record (first run) or an unreadable one: nothing to reap.
    }
    const killed: string[] = [];
    for (const [endpoint, pid] of Object.entries(recorded)) {
      if (!Number.isInteger(pid) || pid <= 1 || !(await isOwnWorker(pid, serveScript, owner))) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(endpoint);
        log(`[${endpoint}] stopped the worker (pid ${pid}) a previous run left behind`);
      } catch {
        // It ended meanwhile.
      }
    }
    await this.save();
    return killed;
  }

  /** Records an endpoint's worker pid. */
  set(endpoint: string, pid: number): void {
    this.pids.set(endpoint, pid);
    void this.save();
  }

  /**
   * Forgets an exited worker's pid, only if the endpoint still records that one: an endpoint's
   * name is fixed per version, so after an undeploy and redeploy the new worker's pid is recorded
   * before the old one's exit is seen, and must stay.
   */
  forget(endpoint: string, pid: number): void {
    if (this.pids.get(endpoint) !== pid) return;
    this.pids.delete(endpoint);
    void this.save();
  }

  /** Resolves once the record written last is on disk. */
  settled(): Promise<void> {
    return this.writing;
  }

  /** Writes in order, one after another, so the file always holds the latest record whole. */
  private save(): Promise<void> {
    const text = JSON.stringify(Object.fromEntries(this.pids));
    this.writing = this.writing.then(() => writeFileAtomically(this.path, text)).catch(() => undefined);
    return this.writing;
  }
}
