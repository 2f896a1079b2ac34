/** The longest a check may run: a Lambda invocation's limit, enough to stream a very large upload once. */
export const CLAIM_MS = 15 * 60 * 1000;

/**
 * A check holds its claim as a lease it renews while it streams: a checker killed mid-way loses
 * it within this time, so the sweep (or anyone) can take over, whatever its deadline was.
 */
export const LEASE_MS = 30 * 1000;

/**
 * Runs `work` while holding a claim on an upload's record: `take(until, now)` is the store's
 * conditional claim (ISO 8601 times), taken for a lease and renewed every third of it, never past
 * `until` (epoch ms), so a caller with a deadline never leaves others waiting on a dead check.
 * `{ claimed: false }` when someone else holds it (or the record moved on): the work did not run.
 */
export async function whileClaimed<T>(take: (until: string, now: string) => Promise<boolean>, until: number, now: () => Date, work: () => Promise<T>): Promise<{ claimed: false } | { claimed: true; result: T }> {
  const claim = () => {
    const at = now().getTime();
    return take(new Date(Math.min(at + LEASE_MS, until)).toISOString(), new Date(at).toISOString());
  };
  if (!(await claim())) return { claimed: false };
  const renewal = setInterval(() => void claim().catch(() => undefined), LEASE_MS / 3);
  try {
    return { claimed: true, result: await work() };
  } finally {
    clearInterval(renewal);
  }
}
