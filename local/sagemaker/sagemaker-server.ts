import { readSignedBody } from '../signed-body';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SigV4Verifier } from '../sigv4-verifier';
import { SageMakerFault, type LocalSageMaker } from './control-plane';

export interface SageMakerServerOptions {
  readonly host: string;
  /** The only credentials it takes requests signed with (SigV4, service `sagemaker`): the local runtime's. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly sagemaker: LocalSageMaker;
  readonly log: (line: string) => void;
}

export interface RunningSageMakerServer {
  /** For AWS_ENDPOINT_URL_SAGEMAKER and AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: one server speaks both. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** SageMaker's runtime path: InvokeEndpoint. */
const INVOKE_PATH = /^\/endpoints\/([^/]+)\/invocations$/;
/** The JSON 1.1 protocol's target header: `SageMaker.<Operation>`. */
const TARGET = /^SageMaker\.([A-Za-z]+)$/;
/** Larger than SageMaker's 6 MB serverless payload, so the worker, not this server, is the limit. */
const BODY_LIMIT = 8 * 1024 * 1024;


/** An error as both of SageMaker's protocols carry it: the type in x-amzn-errortype and `__type`, the message in the body. */
function sendFault(response: ServerResponse, fault: SageMakerFault, extra: Record<string, unknown> = {}): void {
  const body = JSON.stringify({ __type: fault.type, message: fault.message, Message: fault.message, ...extra });
  response.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': fault.type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * SageMaker on loopback for `npm start`, in the two protocols the SDK speaks: the control plane
 * (AWS JSON 1.1: POST / with X-Amz-Target `SageMaker.CreateModel` and the like; local/sagemaker/
 * control-plane.ts serves the operations MLHub calls) and the runtime (REST-JSON: POST
 * /endpoints/{name}/invocations). As on AWS, nothing is answered to a request that is not signed
 * (SigV4, service `sagemaker`, body included) with the local runtime's credentials: 403
 * MissingAuthenticationTokenException, UnrecognizedClientException or InvalidSignatureException.
 * A worker's error answer (4xx or 5xx) comes back as SageMaker's 424 ModelError with its
 * OriginalStatusCode and OriginalMessage, as the SDK reads them.
 */
export async function startSageMakerServer(options: SageMakerServerOptions): Promise<RunningSageMakerServer> {
  const verifier = new SigV4Verifier(new Map([[options.credentials.accessKeyId, options.credentials.secretAccessKey]]));

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const read = await readSignedBody(request, BODY_LIMIT);
    const { sha256 } = read;
    const tooLarge = read.body === undefined;
    const body = read.body ?? Buffer.alloc(0);
    const verdict = await verifier.verify({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers }, { service: 'sagemaker', payloadSha256: sha256 });
    if (!verdict.ok) {
      const signed = request.headers.authorization !== undefined;
      const type = !signed ? 'MissingAuthenticationTokenException' : verdict.code === 'InvalidAccessKeyId' ? 'UnrecognizedClientException' : 'InvalidSignatureException';
      return sendFault(response, new SageMakerFault(type, verdict.message, 403));
    }
    if (tooLarge) return sendFault(response, new SageMakerFault('ValidationException', `The request body is larger than ${BODY_LIMIT} bytes`, 413));
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const invoke = INVOKE_PATH.exec(path);
    if (request.method === 'POST' && invoke) {
      const name = decodeURIComponent(invoke[1] ?? '');
      const reply = await options.sagemaker.invoke(name, body, String(request.headers['content-type'] ?? 'application/json'), String(request.headers['x-amzn-sagemaker-accept'] ?? request.headers.accept ?? 'application/json'));
      if (reply.status >= 400) {
        const original = reply.body.toString('utf8');
        return sendFault(response, new SageMakerFault('ModelError', `Received ${reply.status >= 500 ? 'server' : 'client'} error (${reply.status}) from primary with message "${original}".`, 424), {
          ErrorCode: reply.status >= 500 ? 'SERVER_ERROR_FROM_MODEL' : 'CLIENT_ERROR_FROM_MODEL', OriginalStatusCode: reply.status, OriginalMessage: original,
        });
      }
      response.writeHead(200, { 'content-type': reply.contentType, 'x-amzn-invoked-production-variant': 'AllTraffic', 'content-length': reply.body.length });
      response.end(reply.body);
      return;
    }
    const target = TARGET.exec(String(request.headers['x-amz-target'] ?? ''));
    if (request.method !== 'POST' || path !== '/' || !target) {
      return sendFault(response, new SageMakerFault('UnknownOperationException', `The local SageMaker serves its JSON 1.1 API at POST / and InvokeEndpoint, not ${request.method} ${path}`, 404));
    }
    let input: Record<string, unknown>;
    try {
      input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    } catch {
      return sendFault(response, new SageMakerFault('SerializationException', 'The request body is not JSON'));
    }
    const output = JSON.stringify(await options.sagemaker.operate(target[1] as string, input));
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(output) });
    response.end(output);
  }

  const server: Server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      if (error instanceof SageMakerFault) {
        if (error.type === 'ModelError') return sendFault(response, error, { ErrorCode: 'SERVER_ERROR_FROM_MODEL', OriginalStatusCode: 500, OriginalMessage: error.message });
        return sendFault(response, error);
      }
      options.log(`sagemaker endpoint: ${(error as Error)?.stack ?? String(error)}`);
      if (!response.headersSent) sendFault(response, new SageMakerFault('InternalFailure', 'The local SageMaker failed', 500));
      else response.destroy();
    });
  });
  server.listen(0, options.host);
  await once(server, 'listening');
  server.on('error', (error) => options.log(`sagemaker endpoint: ${error.message}`));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      options.sagemaker.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
