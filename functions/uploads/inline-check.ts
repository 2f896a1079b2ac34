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
 */
export async function checkWhileWaiting(size: number, deadline: number, finalize: (until: Date) => Promise<string>): Promise<void> {
  if (size > INLINE_CHECK_BYTES) return;
  const until = new Date(deadline);
  let result = await finalize(until);
  while ((result === 'busy' || result === 'pending') && Date.now() + POLL_MS < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    result = await finalize(until);
  }
}
