import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import type { EmbeddedServer } from './dynamodb-server';
import { extendS3rver } from './s3rver-extensions';
import { SigV4Verifier } from './sigv4-verifier';

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

function sendS3Error(response: ServerResponse, code: string, message: string): void {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  response.writeHead(403, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escaped}</Message></Error>`);
}

interface S3rverEvent {
  Records?: { eventName?: string; s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number } } }[];
}

/**
 * s3rver on disk, behind a SigV4 check: s3rver accepts any signature for a known key, AWS does
 * not, and MLHub's security rests on presigned URLs failing when altered or expired.
 */
export interface S3ServerOptions {
  readonly directory: string;
  readonly host: string;
  readonly port?: number;
  readonly buckets: readonly string[];
  /** Called with `s3 <METHOD> <path?query> <status>` for every request, e.g. to watch uploads. */
  readonly requestLog?: (line: string) => void;
  /** Gets a line for each failure no client can be told of (a read that broke mid-body); stderr by default. */
  readonly errorLog?: (line: string) => void;
}

export async function startS3Server(options: S3ServerOptions): Promise<LocalS3Server> {
  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  await s3rver.configureBuckets();
  const extension = extendS3rver(s3rver, options.errorLog ?? ((line) => console.error(line)));
  const verifier = new SigV4Verifier(new Map([[LOCAL_S3_CREDENTIALS.accessKeyId, LOCAL_S3_CREDENTIALS.secretAccessKey]]));

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (options.requestLog) {
      const log = options.requestLog;
      response.on('finish', () => log(`s3 ${request.method} ${request.url} ${response.statusCode}`));
    }
    verifier
      .verify({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers })
      .then((verdict) => {
        if (verdict && !verdict.ok) {
          request.resume();
          sendS3Error(response, verdict.code, verdict.message);
          return;
        }
        return extension.serve(request, response);
      })
      .catch((error: unknown) => {
        request.resume();
        sendS3Error(response, 'AccessDenied', `Signature check failed: ${String(error)}`);
      });
  });
  server.listen(options.port ?? 0, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://${options.host}:${port}`,
    onObjectEvent(listener) {
      s3rver.on('event', (event: S3rverEvent) => {
        for (const record of event.Records ?? []) {
          listener({
            eventName: record.eventName ?? '',
            bucket: record.s3?.bucket?.name ?? '',
            key: decodeURIComponent(record.s3?.object?.key ?? ''),
            ...(record.s3?.object?.size !== undefined ? { size: record.s3.object.size } : {}),
            raw: record,
          });
        }
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
