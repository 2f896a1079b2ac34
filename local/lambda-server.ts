import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { LAMBDA_PAYLOAD_LIMIT } from '../functions/routes/route-table';
import { newRequestId } from './api-gateway-event';
import { readSignedBody } from './signed-body';
import { lambdaContext, localFunctionName } from './lambda-context';
import { SigV4Verifier, type Verdict } from './sigv4-verifier';

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
  /** The only credentials it takes requests signed with (SigV4, service `lambda`): the local runtime's. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The functions it runs: only those some function invokes through Lambda (a stack grants lambda:InvokeFunction on them alone). */
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


/**
 * Lambda's answers to a request it cannot authenticate (403, the type in x-amzn-errortype): no
 * credentials at all, an access key it does not know, or a signature that does not match.
 */
function authRefusal(verdict: Extract<Verdict, { ok: false }>, signed: boolean): { type: string; message: string } {
  if (!signed) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  if (verdict.code === 'InvalidAccessKeyId') return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  return { type: 'InvalidSignatureException', message: verdict.message };
}

/**
 * A handler's failure as Lambda's Node.js runtime reports it (errorType, errorMessage), without
 * its stack: the stack names this machine's files, and the caller reads only the type and message.
 */
const failurePayload = (failure: Error): string => JSON.stringify({ errorType: failure.name, errorMessage: failure.message });

/**
 * The local stand-in for Lambda's Invoke API (POST /2015-03-31/functions/{FunctionName}/invocations),
 * so that a function invoking another does it through the same LambdaClient call as in the cloud,
 * pointed here by AWS_ENDPOINT_URL_LAMBDA. It runs the function's handler in this process with a
 * Lambda context of its own (a new request id, the function's memory and timeout), as a
 * synchronous (RequestResponse) or asynchronous (Event) invocation, and answers as Lambda does:
 * the handler's result as the payload, a handler's failure as 200 with X-Amz-Function-Error:
 * Unhandled, ResourceNotFoundException (404) for a function it does not serve, and
 * RequestTooLargeException (413) past Lambda's 6 MB payload. As Lambda does, it runs nothing for
 * a request that is not signed (SigV4, header-signed, service `lambda`, body included) with the
 * credentials it is given: 403 MissingAuthenticationTokenException without a signature,
 * UnrecognizedClientException for another access key, InvalidSignatureException for a signature
 * that does not match (sigv4-verifier.ts, the local S3 server's check). A handler's failure is
 * answered without its stack, which is logged here instead.
 */
export async function startLambdaServer(options: LambdaServerOptions): Promise<RunningLambdaServer> {
  const byName = new Map(options.functions.map((fn) => [localFunctionName(fn.id), fn]));
  const log = options.log ?? (() => undefined);
  const verifier = new SigV4Verifier(new Map([[options.credentials.accessKeyId, options.credentials.secretAccessKey]]));

  async function invoke(fn: LocalFunction, event: unknown): Promise<{ payload: string; failed: boolean }> {
    try {
      const handler = await options.loadHandler(fn.handler);
      const result = await handler(event, lambdaContext(localFunctionName(fn.id), newRequestId(), fn.memoryMb, fn.timeoutSeconds));
      const payload = JSON.stringify(result ?? null);
      if (Buffer.byteLength(payload) > LAMBDA_PAYLOAD_LIMIT) {
        return { payload: failurePayload(Object.assign(new Error(`Response payload size exceeded maximum allowed payload size (${LAMBDA_PAYLOAD_LIMIT} bytes).`), { name: 'Function.ResponseSizeTooLarge' })), failed: true };
      }
      return { payload, failed: false };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      log(`${localFunctionName(fn.id)} failed: ${failure.stack ?? `${failure.name}: ${failure.message}`}`);
      return { payload: failurePayload(failure), failed: true };
    }
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Who is asking comes first, as on AWS: an unsigned request learns nothing, not even which paths exist.
    const { body: payload, sha256 } = await readSignedBody(request, LAMBDA_PAYLOAD_LIMIT);
    const verdict = await verifier.verify({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers }, { service: 'lambda', payloadSha256: sha256 });
    if (!verdict.ok) {
      const refusal = authRefusal(verdict, request.headers.authorization !== undefined || /[?&]X-Amz-Signature=/.test(request.url ?? ''));
      return sendError(response, 403, refusal.type, refusal.message);
    }
    // A presigned URL signs no body; nothing here hands them out, and an invocation's event is all it has.
    if (verdict.signedBy !== 'header') return sendError(response, 403, 'InvalidSignatureException', 'Sign the request in the Authorization header, body included');
    const path = INVOKE_PATH.exec((request.url ?? '/').split('?')[0] ?? '/');
    if (request.method !== 'POST' || !path) {
      sendError(response, 404, 'UnknownOperationException', `The local Lambda endpoint serves only Invoke, not ${request.method} ${request.url}`);
      return;
    }
    let name: string;
    try {
      name = nameOf(decodeURIComponent(path[1] ?? ''));
    } catch {
      return sendError(response, 400, 'InvalidParameterValueException', 'The function name is not validly percent-encoded');
    }
    const fn = byName.get(name);
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
      await invoke(fn, event); // a failure is logged, as Lambda logs it to the function's log group
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
