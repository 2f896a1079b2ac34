/**
 * createModel's hand-over of the seed's image form, end to end below HTTP routing: the real
 * LambdaClient against the local runtime's Lambda Invoke endpoint, which runs handlers in process.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Context } from 'aws-lambda';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../functions/errors/app-error';
import { jsonResponse } from '../../functions/http/responses';
import { invokeHttpFunction } from '../../functions/platform/function-invoker';
import { newRequestId, toApiGatewayEvent } from '../../local/api-gateway-event';
import { startLambdaServer, type RunningLambdaServer } from '../../local/lambda-server';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';

const runs: string[] = [];
const handlers: Record<string, (event: unknown, context: Context) => Promise<unknown>> = {
  counted: async (event) => {
    runs.push(JSON.stringify(event));
    return jsonResponse(200, {});
  },
  answers: async (event, context) => jsonResponse(200, { seen: (event as { requestContext: { requestId: string } }).requestContext.requestId, function: context.functionName }, { 'x-from': 'predict' }),
  fails: async () => {
    throw new RangeError('the model file vanished');
  },
  slow: () => new Promise((resolve) => setTimeout(() => resolve(jsonResponse(200, {})), 2000)),
  answersJunk: async () => 'not an HTTP response',
};

let server: RunningLambdaServer;
const logged: string[] = [];
let lambda: LambdaClient;
const event = toApiGatewayEvent(
  { method: 'POST', url: '/model/mnist', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: Buffer.from('--x--'), sourceIp: '127.0.0.1', localPort: 8083 },
  { routeKey: 'POST /model/{name}', pathParameters: { name: 'mnist' } }, newRequestId(),
);

beforeAll(async () => {
  server = await startLambdaServer({
    host: '127.0.0.1',
    credentials: LOCAL_S3_CREDENTIALS,
    log: (line) => logged.push(line),
    functions: Object.keys(handlers).map((id) => ({ id, handler: id, memoryMb: 128, timeoutSeconds: 5 })),
    loadHandler: async (module) => handlers[module] as (event: unknown, context: Context) => Promise<unknown>,
  });
  lambda = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  lambda?.destroy();
  await server?.close();
});

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
};

describe('invokeHttpFunction through the local Lambda endpoint', () => {
  it('returns the invoked function\'s HTTP answer as is; the event (and its request id) reaches it whole, under a Lambda context of its own', async () => {
    const answer = await invokeHttpFunction(lambda, 'mlhub-answers', event, 5000);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-from']).toBe('predict');
    expect(JSON.parse(answer.body as string)).toEqual({ seen: event.requestContext.requestId, function: 'mlhub-answers' });
    // By ARN too, as a deployed function may be named.
    expect((await invokeHttpFunction(lambda, 'arn:aws:lambda:us-east-1:123456789012:function:mlhub-answers', event, 5000)).statusCode).toBe(200);
  });

  it('answers 502 predict_function_failed when the function fails, with its error as the cause, or answers something else than HTTP', async () => {
    const failed = await failure(invokeHttpFunction(lambda, 'mlhub-fails', event, 5000));
    expect(failed).toMatchObject({ kind: 'bad_gateway', code: 'predict_function_failed' });
    expect(String((failed.cause as Error).message)).toBe('RangeError: the model file vanished');
    expect(await failure(invokeHttpFunction(lambda, 'mlhub-answersJunk', event, 5000))).toMatchObject({ kind: 'bad_gateway', code: 'predict_function_failed' });
  });

  it('answers 502 when there is no such function, and 504 timeout when the deadline comes first', async () => {
    const missing = await failure(invokeHttpFunction(lambda, 'mlhub-nowhere', event, 5000));
    expect(missing).toMatchObject({ kind: 'bad_gateway', code: 'predict_function_failed' });
    expect((missing.cause as Error).name).toBe('ResourceNotFoundException');
    expect(await failure(invokeHttpFunction(lambda, 'mlhub-slow', event, 1000))).toMatchObject({ kind: 'timeout', code: 'timeout' });
  });
});

/** A request signed as the SDK signs it, then sent as given (so that it can be altered after signing). */
async function signedInvoke(name: string, body: string, options: { service?: string; secret?: string; sendBody?: string } = {}): Promise<Response> {
  const url = new URL(`${server.endpoint}/2015-03-31/functions/${name}/invocations`);
  const signer = new SignatureV4({ service: options.service ?? 'lambda', region: 'us-east-1', credentials: { accessKeyId: LOCAL_S3_CREDENTIALS.accessKeyId, secretAccessKey: options.secret ?? LOCAL_S3_CREDENTIALS.secretAccessKey }, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign(new HttpRequest({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, headers: { host: url.host, 'content-type': 'application/json' }, body }));
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([header]) => header !== 'host'));
  return fetch(url, { method: 'POST', headers, body: options.sendBody ?? body });
}

describe('the local Lambda endpoint authenticates every request, as Lambda does', () => {
  const forged = JSON.stringify({ ...event, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, sourceIp: '203.0.113.9' } } });

  it('runs nothing for an unsigned request (403 MissingAuthenticationTokenException), whatever event it carries', async () => {
    const before = runs.length;
    const unsigned = await fetch(`${server.endpoint}/2015-03-31/functions/mlhub-counted/invocations`, { method: 'POST', body: forged });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await unsigned.json()).toMatchObject({ message: 'Missing Authentication Token' });
    // Nor does it say which paths or functions exist.
    expect((await fetch(`${server.endpoint}/2015-03-31/functions`)).status).toBe(403);
    expect(runs.length).toBe(before);
  });

  it('refuses a wrong secret, another access key, another service and a body changed after signing', async () => {
    const before = runs.length;
    const wrongSecret = await signedInvoke('mlhub-counted', forged, { secret: 'guessed' });
    expect([wrongSecret.status, wrongSecret.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
    const otherService = await signedInvoke('mlhub-counted', forged, { service: 's3' });
    expect([otherService.status, otherService.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
    const altered = await signedInvoke('mlhub-counted', JSON.stringify(event), { sendBody: forged });
    expect([altered.status, altered.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
    const stranger = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' }, maxAttempts: 1 });
    await expect(stranger.send(new InvokeCommand({ FunctionName: 'mlhub-counted', Payload: Buffer.from(forged) }))).rejects.toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });
    stranger.destroy();
    const guesser = new LambdaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: LOCAL_S3_CREDENTIALS.accessKeyId, secretAccessKey: 'guessed' }, maxAttempts: 1 });
    await expect(guesser.send(new InvokeCommand({ FunctionName: 'mlhub-counted', Payload: Buffer.from(forged) }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    guesser.destroy();
    expect(runs.length).toBe(before);
  });

  it('runs a request signed with its credentials, by hand or by the LambdaClient, with the event as signed', async () => {
    const before = runs.length;
    expect((await signedInvoke('mlhub-counted', forged)).status).toBe(200);
    const output = await lambda.send(new InvokeCommand({ FunctionName: 'mlhub-counted', Payload: Buffer.from(JSON.stringify(event)) }));
    expect(output.StatusCode).toBe(200);
    expect(runs.slice(before)).toEqual([forged, JSON.stringify(event)]);
  });

  it('answers a handler\'s failure as errorType and errorMessage, with no stack and no path of this machine; the stack is logged', async () => {
    const output = await lambda.send(new InvokeCommand({ FunctionName: 'mlhub-fails', Payload: Buffer.from('{}') }));
    expect(output.FunctionError).toBe('Unhandled');
    const text = Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8');
    expect(JSON.parse(text)).toEqual({ errorType: 'RangeError', errorMessage: 'the model file vanished' });
    expect(text).not.toContain(fileURLToPath(new URL('../..', import.meta.url)));
    expect(logged.join('\n')).toMatch(/mlhub-fails failed: RangeError: the model file vanished\n\s+at /);
  });
});
