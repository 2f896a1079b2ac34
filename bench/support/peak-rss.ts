import { readFile, writeFile } from 'node:fs/promises';

/**
 * A process's peak RSS in MB: Linux's VmHWM (/proc/<pid>/status), the high-water mark of this
 * process image. Not getrusage's maxrss, which keeps the parent's RSS at fork time across the exec
 * (so every child would seem as big as the bench that spawned it); for `self` where there is no
 * /proc, maxrss all the same. NaN for another process without /proc.
 */
export async function peakRssMb(pid: number | 'self'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb !== undefined) return Number(kb) / 1024;
  return pid === 'self' ? process.resourceUsage().maxRSS / 1024 : Number.NaN;
}

/**
 * Sets a process's VmHWM back to its current RSS (proc(5), /proc/<pid>/clear_refs: "5"), so the
 * next peakRssMb is the peak of what it did since. Answers false where Linux does not allow it.
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  return writeFile(`/proc/${pid}/clear_refs`, '5').then(() => true, () => false);
}
