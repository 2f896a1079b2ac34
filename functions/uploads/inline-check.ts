/**
 * Uploads up to this size are checked while the client waits for complete; larger ones are left
 * to the S3 event's check, which has minutes rather than the API's 30 seconds.
 */
export const INLINE_CHECK_BYTES = 1024 ** 3;
const POLL_MS = 250;

/**
 * Runs a complete call's check of an upload of `size` bytes, if small enough, until `deadline`
 * (epoch ms): `finalize(until)` is the finalizer's, answering `busy` while another caller holds the
 * check and `pending` while the bytes are not there; both are asked again until the deadline nears.
 *
 * Returns at the deadline at the latest, even while a check is still reading: the caller then
 * answers with the upload as it stands (pending, 202) rather than running past its route's time
 * (a bare 504 from the gateway). The check goes on under its claim, which lapses at `deadline`, so
 * the storage event or the sweep finishes it if this invocation does not. A check that fails
 * before the deadline throws here as before; one that fails after it is dropped (its claim lapses).
 */
export async function checkWhileWaiting(size: number, deadline: number, finalize: (until: Date) => Promise<string>): Promise<void> {
  if (size > INLINE_CHECK_BYTES) return;
  const until = new Date(deadline);
  const checking = (async () => {
    let result = await finalize(until);
    while ((result === 'busy' || result === 'pending') && Date.now() + POLL_MS < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      result = await finalize(until);
    }
  })();
  checking.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([checking, waited]);
  } finally {
    clearTimeout(timer);
  }
}
