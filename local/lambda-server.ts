import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { LAMBDA_PAYLOAD_LIMIT } from '../functions/routes/route-table';
import { newRequestId } from './api-gateway-event';
import { lambdaContext, localFunctionName } from './lambda-context';

/** A function the local Lambda endpoint can invoke: its id names it (`mlhub-<id>`), its module serves it. */
export interface LocalFunction {
  readonly id: string;
  /** Module under functions/handlers/ exporting `handler`. */
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export type InvokedHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LambdaServerOptions {
  readonly host: string;
  readonly functions: readonly LocalFunction[];
  readonly loadHandler: (module: string) => Promise<InvokedHandler>;
  readonly log?: (line: string) => void;
}

export interface RunningLambdaServer {
  /** For AWS_ENDPOINT_URL_LAMBDA. */
  readonly endpoint: string;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Lambda's errors, as its REST-JSON protocol sends them: the type in a header, a message in the body. */
function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ Type: 'User', message });
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function sendPayload(response: ServerResponse, payload: string, headers: Record<string, string> = {}): void {
  response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', 'content-length': Buffer.byteLength(payload), ...headers });
  response.end(payload);
}

/** A function name as Invoke takes it: the name, or a full or partial ARN, with an optional qualifier. */
function nameOf(functionName: string): string {
  const arn = /^(?:arn:[^:]+:lambda:[^:]*:[^:]*:)?(?:function:)?([^:]+)(?::[^:]+)?$/.exec(functionName);
  return arn?.[1] ?? functionName;
}

async function readPayload(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    length += (chunk as Buffer).length;
    if (length <= LAMBDA_PAYLOAD_LIMIT) chunks.push(chunk as Buffer);
  }
  return length > LAMBDA_PAYLOAD_LIMIT ? undefined : Buffer.concat(chunks);
}

/**
 * The local stand-in for Lambda's Invoke API (POST /2015-03-31/functions/{FunctionName}/invocations),
 * so that a function invoking another does it through the same LambdaClient call as in the cloud,
 * pointed here by AWS_ENDPOINT_URL_LAMBDA. It runs the function's handler in this process with a
 * Lambda context of its own (a new request id, the function's memory and timeout), as a
 * synchronous (RequestResponse) or asynchronous (Event) invocation, and answers as Lambda does:
 * the handler's result as the payload, a handler's failure as 200 with X-Amz-Function-Error:
 * Unhandled, ResourceNotFoundException (404) for a function it does not serve, and
 * RequestTooLargeException (413) past Lambda's 6 MB payload. Signatures are not checked: it
 * listens on the loopback address only.
 */
export async function startLambdaServer(options: LambdaServerOptions): Promise<RunningLambdaServer> {
  const byName = new Map(options.functions.map((fn) => [localFunctionName(fn.id), fn]));
  const log = options.log ?? (() => undefined);

  async function invoke(fn: LocalFunction, event: unknown): Promise<{ payload: string; failed: boolean }> {
    try {
      const handler = await options.loadHandler(fn.handler);
      const result = await handler(event, lambdaContext(localFunctionName(fn.id), newRequestId(), fn.memoryMb, fn.timeoutSeconds));
      const payload = JSON.stringify(result ?? null);
      if (Buffer.byteLength(payload) > LAMBDA_PAYLOAD_LIMIT) {
        return { payload: JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${LAMBDA_PAYLOAD_LIMIT} bytes).` }), failed: true };
      }
      return { payload, failed: false };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return { payload: JSON.stringify({ errorType: failure.name, errorMessage: failure.message, trace: (failure.stack ?? '').split('\n') }), failed: true };
    }
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = INVOKE_PATH.exec((request.url ?? '/').split('?')[0] ?? '/');
    if (request.method !== 'POST' || !path) {
      sendError(response, 404, 'UnknownOperationException', `The local Lambda endpoint serves only Invoke, not ${request.method} ${request.url}`);
      return;
    }
    const name = nameOf(decodeURIComponent(path[1] ?? ''));
    const fn = byName.get(name);
    const payload = await readPayload(request);
    if (!fn) return sendError(response, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
    if (payload === undefined) return sendError(response, 413, 'RequestTooLargeException', `Request must be smaller than ${LAMBDA_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`);
    let event: unknown;
    try {
      event = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'));
    } catch {
      return sendError(response, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType === 'DryRun') {
      response.writeHead(204).end();
      return;
    }
    if (invocationType === 'Event') {
      response.writeHead(202, { 'content-length': 0 }).end();
      const { payload: failure, failed } = await invoke(fn, event);
      if (failed) log(`${name} failed on an asynchronous invocation: ${failure}`);
      return;
    }
    const { payload: answer, failed } = await invoke(fn, event);
    sendPayload(response, answer, failed ? { 'x-amz-function-error': 'Unhandled' } : {});
  }

  const server: Server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      log(`lambda endpoint: ${(error as Error)?.stack ?? String(error)}`);
      if (!response.headersSent) sendError(response, 500, 'ServiceException', 'The local Lambda endpoint failed');
      else response.destroy();
    });
  });
  server.listen(0, options.host);
  await once(server, 'listening');
  server.on('error', (error) => log(`lambda endpoint: ${error.message}`));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
