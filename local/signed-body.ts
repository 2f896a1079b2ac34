import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A request's body as the local AWS endpoints read it: the bytes up to `limit` (undefined past
 * it, so a huge body is never held), and the SHA-256 of all of it, which a SigV4 signature must
 * cover whatever its size (local/sigv4-verifier.ts).
 */
export async function readSignedBody(request: IncomingMessage, limit: number): Promise<{ body: Buffer | undefined; sha256: string }> {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of request) {
    length += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
    if (length <= limit) chunks.push(chunk as Buffer);
  }
  return { body: length > limit ? undefined : Buffer.concat(chunks), sha256: hash.digest('hex') };
}
