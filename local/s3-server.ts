import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { BUNDLE_BUCKET_CORS } from '../functions/bundles/bucket-cors';
import type { EmbeddedServer } from './dynamodb-server';
import { extendS3rver } from './s3rver-extensions';
import { checkedRequest, payloadClaim, type PayloadClaim } from './s3-payload';
import { SigV4Verifier, VERDICT_STATUS } from './sigv4-verifier';

/** s3rver's built-in account; it is a fixed local placeholder, not a credential. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3ObjectEvent {
  readonly eventName: string;
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly raw: unknown;
}

export interface LocalS3Server extends EmbeddedServer {
  /** Called for every S3 event notification s3rver emits (ObjectCreated, ObjectRemoved…). */
  onObjectEvent(listener: (event: S3ObjectEvent) => void): void;
}

function sendS3Error(response: ServerResponse, status: number, code: string, message: string, detail: Readonly<Record<string, string>> = {}): void {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const fields = Object.entries(detail).map(([name, value]) => `<${name}>${escape(value)}</${name}>`).join('');
  response.writeHead(status, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escape(message)}</Message>${fields}</Error>`);
}

/** S3 notifications carry the key URL-encoded, a space as `+` (S3 User Guide, "Event message structure"); s3rver's carry it raw. */
const encodeEventKey = (key: string): string => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

interface S3rverEvent {
  Records?: { eventName?: string; s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number } } }[];
}

/**
 * s3rver on disk, behind a SigV4 check of every request: s3rver accepts anonymous requests and any
 * signature for a known key, AWS does not, and MLHub's security rests on nobody but its functions
 * and the holders of its presigned URLs reading or writing a bundle.
 */
export interface S3ServerOptions {
  readonly directory: string;
  readonly host: string;
  readonly port?: number;
  /**
   * Listen here when the port is free, else on any free port. The local runtime passes the port of
   * the last start on its data folder: presigned URLs name it, and one handed out before a restart
   * works after it only if the port is the same.
   */
  readonly preferredPort?: number;
  readonly buckets: readonly string[];
  /**
   * Browser origins the buckets' CORS rule allows, as the stack's rule does for the bundle bucket
   * (functions/bundles/bucket-cors.ts); none: no CORS rule, and one left by an earlier start goes.
   */
  readonly corsOrigins?: readonly string[];
  /** Called with `s3 <METHOD> <path?query> <status>` for every request, e.g. to watch uploads. */
  readonly requestLog?: (line: string) => void;
  /** Gets a line for each failure no client can be told of (a read that broke mid-body); stderr by default. */
  readonly errorLog?: (line: string) => void;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The bundle bucket's CORS rule as S3's PutBucketCors XML (CORSConfiguration), for these origins. */
export function corsConfigurationXml(origins: readonly string[]): string {
  const element = (name: string, values: readonly string[]) => values.map((value) => `<${name}>${escapeXml(value)}</${name}>`).join('');
  return '<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration><CORSRule>'
    + element('AllowedOrigin', origins)
    + element('AllowedMethod', BUNDLE_BUCKET_CORS.allowedMethods)
    + element('AllowedHeader', BUNDLE_BUCKET_CORS.allowedHeaders)
    + element('ExposeHeader', BUNDLE_BUCKET_CORS.exposedHeaders)
    + `<MaxAgeSeconds>${BUNDLE_BUCKET_CORS.maxAgeSeconds}</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
}

export async function startS3Server(options: S3ServerOptions): Promise<LocalS3Server> {
  const corsOrigins = options.corsOrigins ?? [];
  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, ...(corsOrigins.length > 0 ? { configs: [corsConfigurationXml(corsOrigins)] } : {}) })),
  });
  await s3rver.configureBuckets();
  if (corsOrigins.length === 0) {
    const store = (s3rver as unknown as { store: { deleteSubresource(bucket: string, key: undefined, type: string): Promise<void> } }).store;
    for (const bucket of options.buckets) await store.deleteSubresource(bucket, undefined, 'cors');
  }
  const errorLog = options.errorLog ?? ((line: string) => console.error(line));
  const extension = extendS3rver(s3rver, errorLog);
  for (const bucket of options.buckets) await extension.clearStaging(bucket);
  const verifier = new SigV4Verifier(new Map([[LOCAL_S3_CREDENTIALS.accessKeyId, LOCAL_S3_CREDENTIALS.secretAccessKey]]));

  /** Signature first, then the body held to what the signature says of it, then S3 itself. */
  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // A CORS preflight carries no credentials by design (Fetch standard, CORS protocol); s3rver
    // answers it from the bucket's CORS rules without touching any object.
    if (request.method === 'OPTIONS') return extension.serve(request, response);
    const verdict = await verifier.verify({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers }, { service: 's3' });
    if (!verdict.ok) {
      sendS3Error(response, VERDICT_STATUS[verdict.code], verdict.code, verdict.message, verdict.detail);
      return;
    }
    let claim: PayloadClaim = { kind: 'unsigned' };
    if (verdict.signedBy === 'header') {
      try {
        claim = payloadClaim(request.headers);
      } catch (error) {
        const refusal = error as Error & { code: string; status: number };
        sendS3Error(response, refusal.status, refusal.code, refusal.message);
        return;
      }
    }
    return extension.serve(checkedRequest(request, claim), response);
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (options.requestLog) {
      const log = options.requestLog;
      response.on('finish', () => log(`s3 ${request.method} ${request.url} ${response.statusCode}`));
    }
    // A body left unread by an early answer (a refusal, a failed precondition) is drained, so the
    // client is not left sending into a connection nobody reads.
    response.once('finish', () => {
      if (!request.complete) {
        request.unpipe();
        request.resume();
      }
    });
    request.on('error', () => undefined); // a client that goes away mid-body is the body's consumer's concern
    serve(request, response).catch((error: unknown) => {
      errorLog(`s3 ${request.method} ${request.url} failed: ${String(error)}`);
      if (response.headersSent) response.destroy();
      else sendS3Error(response, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    });
  });
  server.on('clientError', (error, socket) => {
    // Malformed HTTP or a reset mid-request: answer if the socket still can, never throw.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy(error);
  });
  const listen = async (port: number) => {
    server.listen(port, options.host);
    await once(server, 'listening');
  };
  await listen(options.port ?? options.preferredPort ?? 0).catch(async (error: unknown) => {
    // A port asked for by `port` is a requirement; a preferred one taken by now is not worth failing for.
    if (options.port !== undefined || options.preferredPort === undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    await listen(0);
  });
  server.on('error', (error) => errorLog(`s3: ${error.message}`));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://${options.host}:${port}`,
    onObjectEvent(listener) {
      // s3rver emits inside the request that stored the object: a listener's failure is logged
      // rather than turning a stored object into a 500.
      s3rver.on('event', (event: S3rverEvent) => {
        for (const record of event.Records ?? []) {
          try {
            const key = record.s3?.object?.key ?? '';
            listener({
              eventName: record.eventName ?? '',
              bucket: record.s3?.bucket?.name ?? '',
              key,
              ...(record.s3?.object?.size !== undefined ? { size: record.s3.object.size } : {}),
              raw: { ...record, s3: { ...record.s3, object: { ...record.s3?.object, key: encodeEventKey(key) } } },
            });
          } catch (error) {
            errorLog(`s3 event ${record.eventName ?? ''} for ${record.s3?.object?.key ?? ''} not delivered: ${String(error)}`);
          }
        }
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
