import { once } from 'node:events';
import { createServer, maxHeaderSize, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { wayOutForLargeBodies } from '../functions/http/body-limit';
import { loadCorsOrigins, withCorsHeaders } from '../functions/http/cors';
import { matchRoute } from '../functions/routes/match-route';
import { API_GATEWAY_REQUEST_LIMIT, LAMBDA_PAYLOAD_LIMIT, type RouteSpec } from '../functions/routes/route-table';
import { newRequestId, toApiGatewayEvent, type RouteBinding } from './api-gateway-event';
import { lambdaContext } from './lambda-context';

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly RouteSpec[];
  /** Loads the module a route names and returns its `handler`. */
  readonly loadHandler: (module: string) => Promise<LambdaHandler>;
  /** The module that answers requests no route takes (404/405). */
  readonly fallbackModule: string;
  /** Documents served at fixed paths outside the route table (the local issuer's JWKS). */
  readonly staticDocuments?: ReadonlyMap<string, unknown>;
  /**
   * Gets the access line of every request (`GET /models?mine=1 200 4.2ms correlation_id=…`) and
   * failures of the gateway itself. Lines hold URLs as sent: the local runtime redacts them.
   */
  readonly log?: (line: string) => void;
  /**
   * Requests wait for this before any handler runs (the listening socket comes first, so that
   * the runtime knows its URL before it starts what the handlers read it from); one that
   * rejects fails them as API Gateway does a failed integration (500).
   */
  readonly ready?: Promise<void>;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface StructuredResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, (string | number | boolean)[]>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

class RequestTooLarge extends Error {}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

const DISCARD_TIMEOUT_MS = 30_000;

/**
 * Collects the body up to the limit. Past it, the rest is read and dropped (for at most
 * DISCARD_TIMEOUT_MS) before failing: answering while the client still sends would break its
 * pipe before it reads the 413.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let tooLarge = Number(request.headers['content-length'] ?? 0) > limit;
    const timer = setTimeout(() => {
      request.destroy();
      reject(new RequestTooLarge());
    }, DISCARD_TIMEOUT_MS);
    timer.unref();
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.on('end', () => {
      clearTimeout(timer);
      if (tooLarge) reject(new RequestTooLarge());
      else resolve(Buffer.concat(chunks));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * What Node's HTTP parser refused, by its error code: the status and JSON error to answer. These
 * answers are the local gateway's own (on AWS, API Gateway answers such requests itself), so their
 * codes are not in functions/errors/error-catalogue.ts, like the gateway's 502.
 */
const CLIENT_ERRORS: Readonly<Record<string, { status: number; reason: string; code: string; message: string }>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431, reason: 'Request Header Fields Too Large', code: 'request_headers_too_large',
    message: `The request's headers exceed ${maxHeaderSize} bytes; send fewer or shorter headers`,
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', code: 'request_timeout', message: 'The request was not received in time' },
};
const BAD_REQUEST = { status: 400, reason: 'Bad Request', code: 'bad_request', message: 'The request is not valid HTTP/1.1' };

/**
 * Answers a request Node's HTTP parser refused (the server's `clientError` event, Node.js docs
 * "http": its listener writes a raw response and ends the socket) with a JSON error instead of
 * Node's bare status line. The request's headers were never parsed, so its `Origin` is unknown:
 * this answer alone carries no CORS headers.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const known = (error.code === undefined ? undefined : CLIENT_ERRORS[error.code]) ?? BAD_REQUEST;
  const body = JSON.stringify({ error: { code: known.code, message: known.message } });
  socket.end(`HTTP/1.1 ${known.status} ${known.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** API Gateway (payload v2.0) accepts a plain value too, and answers it as 200 JSON. */
function normaliseResult(result: unknown): StructuredResult {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) return result as StructuredResult;
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result) };
}

/**
 * The local stand-in for API Gateway's HTTP API: it serves the route table, hands each request to
 * its Lambda handler as a payload v2.0 event, and keeps API Gateway's and Lambda's size limits.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const handlerFor = (module: string): Promise<LambdaHandler> => {
    let loaded = handlers.get(module);
    if (!loaded) {
      loaded = options.loadHandler(module);
      handlers.set(module, loaded);
    }
    return loaded;
  };
  const log = options.log ?? (() => undefined);

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = newRequestId();
    response.setHeader('apigw-requestid', requestId);
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    // Every answer carries the CORS headers, the gateway's own (413, 502, 500, documents) too, so
    // browser code can read why it failed; a handler's answer brings them itself (functions/http/cors.ts).
    const origin = request.headers.origin;
    for (const [name, value] of Object.entries(withCorsHeaders<string>({}, loadCorsOrigins(), origin))) response.setHeader(name, value);
    try {
      const rawPath = url.split('?')[0] ?? '/';
      let match;
      try {
        match = matchRoute(options.routes, method, rawPath);
      } catch {
        match = { kind: 'no_route' as const };
      }
      const route = match.kind === 'matched' ? match.route : undefined;
      let body: Buffer;
      try {
        body = await readBody(request, API_GATEWAY_REQUEST_LIMIT);
      } catch (error) {
        if (!(error instanceof RequestTooLarge)) throw error;
        sendJson(response, 413, { error: { code: 'payload_too_large', message: `Requests are limited to ${API_GATEWAY_REQUEST_LIMIT} bytes by API Gateway.${wayOutForLargeBodies(route)}` } });
        return;
      }

      const document = method === 'GET' ? options.staticDocuments?.get(rawPath) : undefined;
      if (document !== undefined) {
        sendJson(response, 200, document, { 'cache-control': 'max-age=300' });
        return;
      }
      const binding: RouteBinding = route && match.kind === 'matched'
        ? { routeKey: `${method === 'HEAD' ? 'HEAD' : route.method} ${route.path}`, pathParameters: match.params }
        : { routeKey: '$default' };
      const event = toApiGatewayEvent(
        { method, url, headers: request.headers, body, sourceIp: request.socket.remoteAddress ?? '127.0.0.1', localPort: request.socket.localPort ?? 0 },
        binding,
        requestId,
      );
      if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_PAYLOAD_LIMIT) {
        // On AWS, Lambda refuses such an invocation before MLHub runs; here it gets a clear answer.
        sendJson(response, 413, { error: { code: 'payload_too_large', message: `The request does not fit in one Lambda invocation (${LAMBDA_PAYLOAD_LIMIT} bytes, binary bodies base64-encoded).${wayOutForLargeBodies(route)}` } });
        return;
      }

      await options.ready;
      const module = route ? route.handler : options.fallbackModule;
      const handler = await handlerFor(module);
      const context = lambdaContext(`mlhub-${route?.id ?? 'notRouted'}`, requestId, route?.memoryMb ?? 128, route?.timeoutSeconds ?? 3);
      const result = normaliseResult(await handler(event, context));
      const payload = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
      if ((result.body?.length ?? 0) > LAMBDA_PAYLOAD_LIMIT) {
        log(`response of ${module} exceeds Lambda's ${LAMBDA_PAYLOAD_LIMIT} byte limit; AWS would fail this request`);
        sendJson(response, 502, { message: 'Internal Server Error' });
        return;
      }
      for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
      for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) response.setHeader(name, values.map(String));
      if (result.cookies?.length) response.setHeader('set-cookie', result.cookies);
      // A HEAD answer keeps the Content-Length its GET would have (RFC 9110 §9.3.2); Node sends no body for HEAD.
      if (method !== 'HEAD' || response.getHeader('content-length') === undefined) response.setHeader('content-length', payload.length);
      response.writeHead(result.statusCode ?? 200);
      response.end(payload);
    } catch (error) {
      // What API Gateway answers when the integration itself fails.
      log(`unhandled failure for ${method} ${url}: ${(error as Error)?.stack ?? String(error)}`);
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    } finally {
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      // The request id is the handlers' correlation_id and the caller's x-request-id: it ties this line to theirs.
      log(`${method} ${url} ${response.statusCode} ${elapsed.toFixed(1)}ms correlation_id=${requestId}`);
    }
  }

  const server: Server = createServer((request, response) => {
    void serve(request, response);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket));
  server.listen(options.port, options.host);
  // events.once takes its listener back once either event comes, so a later error is not a stray rejection.
  await once(server, 'listening');
  // Past listening, a server error (e.g. out of file descriptors on accept) is logged, not thrown.
  server.on('error', (error) => log(`gateway: ${error.message}`));
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
