import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-file';

/**
 * `<data folder>/runtime.json`: which process serves a data folder, and where. `npm start` claims
 * it before opening any store (dynalite's LevelDB allows one process per folder), fills in its
 * addresses once it listens, and removes it on a clean stop; `mlhub login --local` reads it to find
 * the API whatever its PORT. A file left by a process that died (kill -9) names a pid that no
 * longer runs, and is taken over.
 */
export interface RuntimeRecord {
  readonly pid: number;
  /** ISO 8601. */
  readonly started: string;
  /** The API's base URL, e.g. `http://127.0.0.1:8083`; absent while the runtime is starting. */
  readonly url?: string;
  readonly s3Endpoint?: string;
  readonly dynamoEndpoint?: string;
}

export const RUNTIME_FILE = 'runtime.json';

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly holder: RuntimeRecord) {
    super(`MLHub is already running on this data folder (${dataDir})${holder.url ? ` at ${holder.url}` : ''}, pid ${holder.pid}; stop it or set MLHUB_DATA_DIR to another folder`);
    this.name = 'DataDirInUseError';
  }
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The record of a data folder's live runtime, or undefined when none runs (no file, or a dead pid). */
export async function readRuntimeRecord(dataDir: string): Promise<RuntimeRecord | undefined> {
  let record: Partial<RuntimeRecord>;
  try {
    record = JSON.parse(await readFile(join(dataDir, RUNTIME_FILE), 'utf8')) as Partial<RuntimeRecord>;
  } catch {
    // Missing, or torn by a crash mid-write: either way no runtime can be found through it.
    return undefined;
  }
  return typeof record.pid === 'number' && pidIsAlive(record.pid) ? (record as RuntimeRecord) : undefined;
}

export interface RuntimeClaim {
  /**
   * True when the claim took over a runtime.json left by a process that no longer runs (kill -9,
   * a crash, a power cut, or a start that failed after an unclean stop): events that process had
   * taken from the table but not yet delivered are lost (local/events/ is in memory), so what is
   * derived from them must be brought back in step with the table (local/runtime.ts).
   */
  readonly uncleanStop: boolean;
  /** Records the addresses the runtime listens on. */
  publish(addresses: Pick<RuntimeRecord, 'url' | 's3Endpoint' | 'dynamoEndpoint'>): Promise<void>;
  /** Removes the file, if it is still this process's. */
  release(): Promise<void>;
}

const TAKEOVER_STALE_MS = 10_000;
/** Each failed link either meets a live holder (and stops) or removed a dead one; a few rounds settle any race. */
const CLAIM_ATTEMPTS = 5;

/**
 * Removes a claim whose process is gone, or throws DataDirInUseError for a live one. Only one
 * process at a time judges and removes (a mkdir(2) lock beside the file), so two starts that both
 * find a dead claim cannot each remove the other's fresh one.
 */
async function takeOverIfStale(dataDir: string, path: string, pid: number): Promise<boolean> {
  const lock = `${path}.takeover`;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A takeover lock is held for milliseconds; one this old was left by a process that died in it.
      const age = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
      if (age > TAKEOVER_STALE_MS) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    let holder: RuntimeRecord | undefined;
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as RuntimeRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      holder = undefined; // unreadable: not a claim any running MLHub wrote
    }
    if (holder && holder.pid !== pid && pidIsAlive(holder.pid)) throw new DataDirInUseError(dataDir, holder);
    await rm(path, { force: true });
    return true;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Claims a data folder for this process; throws DataDirInUseError when a live process holds it.
 * The file is created by link(2), which fails when the name exists, so of two starts racing for a
 * folder exactly one wins.
 */
export async function claimDataDir(dataDir: string, pid: number = process.pid): Promise<RuntimeClaim> {
  const path = join(dataDir, RUNTIME_FILE);
  const own: RuntimeRecord = { pid, started: new Date().toISOString() };
  // Written whole beside it, then linked into place: link(2) fails if the name exists, and the
  // file appears complete, so a rival never reads a half-written claim and takes it for torn.
  const staged = `${path}.${pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(staged, `${JSON.stringify(own, null, 2)}\n`);
  let uncleanStop = false;
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await link(staged, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= CLAIM_ATTEMPTS) throw error;
      }
      if (await takeOverIfStale(dataDir, path, pid)) uncleanStop = true;
    }
  } finally {
    await rm(staged, { force: true });
  }

  const write = (record: RuntimeRecord) => writeFileAtomically(path, `${JSON.stringify(record, null, 2)}\n`);
  return {
    uncleanStop,
    publish: (addresses) => write({ ...own, ...addresses }),
    async release() {
      const current = await readFile(path, 'utf8').then((text) => JSON.parse(text) as RuntimeRecord, () => undefined);
      if (current?.pid === pid) await rm(path, { force: true });
    },
  };
}

/**
 * `<data folder>/ports.json`: the embedded S3 server's port at the last start. Unlike runtime.json
 * it outlives a stop, because the presigned URLs MLHub handed out (an upload session's PUT URLs,
 * valid for hours) name that port, and a restart on the same folder should keep them working.
 * DynamoDB's port is not kept: only MLHub's own functions reach it, each start telling them anew.
 */
export interface RememberedPorts {
  readonly s3?: number;
}

export const PORTS_FILE = 'ports.json';

/** The ports of the last start on this folder; none when it never started or the file is unreadable. */
export async function readRememberedPorts(dataDir: string): Promise<RememberedPorts> {
  try {
    const { s3 } = JSON.parse(await readFile(join(dataDir, PORTS_FILE), 'utf8')) as { s3?: unknown };
    return Number.isInteger(s3) && (s3 as number) > 0 && (s3 as number) <= 65535 ? { s3: s3 as number } : {};
  } catch {
    // Missing, or torn by a crash mid-write: the next start just picks a free port.
    return {};
  }
}

export async function rememberPorts(dataDir: string, ports: RememberedPorts): Promise<void> {
  await writeFileAtomically(join(dataDir, PORTS_FILE), `${JSON.stringify(ports, null, 2)}\n`);
}
