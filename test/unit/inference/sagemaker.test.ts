import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageInput } from '../../../functions/inference/predict-input';
import { encodePng, patternImage } from '../../support/inference/images';
import { startProtocolServer, type ProtocolServer, type ReceivedRequest, type Reply } from '../../support/inference/protocol-server';
import { jsonBody, rejectionOf, remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';
import { testEngine } from '../../support/inference/engine';

const ENDPOINT_PATH = /^\/endpoints\/([^/]+)\/invocations$/;

/**
 * A local stand-in for the SageMaker runtime's InvokeEndpoint REST shape: `POST
 * /endpoints/{name}/invocations`, the payload as the body with Content-Type and Accept headers,
 * the model's answer as the body. Model failures come back as 424 ModelError with the
 * container's status and message; unknown endpoints as 400 ValidationError.
 */
function sagemakerRuntime(request: ReceivedRequest): Reply {
  const endpoint = ENDPOINT_PATH.exec(request.path)?.[1];
  const errorType = (type: string, status: number, body: Record<string, unknown>): Reply => ({ status, json: body, headers: { 'x-amzn-errortype': type } });
  if (!endpoint || endpoint === 'missing') {
    return errorType('ValidationError', 400, { message: 'Endpoint missing of account 123456789012 not found.' });
  }
  if (endpoint === 'picky') {
    return errorType('ModelError', 424, { message: 'Received client error (400) from model', OriginalStatusCode: 400, OriginalMessage: 'expected 4 features, got 2', LogStreamArn: 'arn:aws:logs:eu-west-1:123456789012:log-group' });
  }
  if (endpoint === 'scripted') {
    // MLHub's framework scripts answer their own JSON error, which SageMaker wraps as OriginalMessage.
    return errorType('ModelError', 424, { message: 'Received client error (400) from primary', OriginalStatusCode: 400, OriginalMessage: JSON.stringify({ error: { code: 'invalid_input', message: 'This scikit-learn model takes 4 features per row; got 2' } }) });
  }
  if (endpoint === 'crashing') {
    return errorType('ModelError', 424, { message: 'Received server error (500) from model', OriginalStatusCode: 500, OriginalMessage: 'Traceback at /opt/ml/model/code.py' });
  }
  const type = request.headers['content-type'] ?? '';
  if (type === 'text/csv') {
    const lines = request.body.toString('utf8').split('\n').map((line) => line.split(',').map(Number));
    return { text: lines.map((values) => String(values.reduce((sum, value) => sum + value, 0))).join('\n'), headers: { 'content-type': 'text/csv' } };
  }
  if (type.startsWith('image/')) return { json: { predictions: [[0.1, 0.9]] } };
  const body = jsonBody(request.body) as { instances: number[][] };
  return { json: { predictions: body.instances.map((row) => { const total = row.reduce((sum, value) => sum + value, 0); return row.map((value) => value / total); }) } };
}

describe('SageMaker InvokeEndpoint adapter', () => {
  let server: ProtocolServer;
  let fixture: RemoteFixture;

  beforeAll(async () => {
    server = await startProtocolServer(sagemakerRuntime);
    const client = new SageMakerRuntimeClient({
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    fixture = await remoteFixture({ labels: ['cat', 'dog'], params: { img_width: 2, img_height: 2, img_channels: 3 }, engine: (config, shelf) => testEngine(shelf, config, client) });
  });

  afterAll(async () => {
    await server.close();
    await fixture.remove();
  });

  const lastRequest = (): ReceivedRequest => server.requests[server.requests.length - 1]!;

  it('invokes the endpoint named in the metadata with JSON instances, signed, and labels the predictions', async () => {
    const result = await fixture.predict({ kind: 'sagemaker', endpoint: 'catdog-prod', content_type: 'application/json' }, fixture.json({ input: [[1, 3], [3, 1]] }));
    const request = lastRequest();
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/endpoints/catdog-prod/invocations');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.accept).toBe('application/json');
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sagemaker\/aws4_request/);
    expect(jsonBody(request.body)).toEqual({ instances: [[1, 3], [3, 1]] });
    expect(result.predictions).toEqual([
      { output: [0.25, 0.75], label: 'dog', probability: 0.75 },
      { output: [0.75, 0.25], label: 'cat', probability: 0.75 },
    ]);
  });

  it('writes CSV rows for a text/csv endpoint and reads one line per row', async () => {
    const result = await fixture.predict({ kind: 'sagemaker', endpoint: '{model}-xgb', content_type: 'text/csv', accept: 'text/csv' }, fixture.json({ input: [[1, 2, 3], [4, 5, 6]] }), 'ScikitLearn');
    expect(lastRequest().path).toBe('/endpoints/remote-xgb/invocations');
    expect(lastRequest().headers.accept).toBe('text/csv');
    expect(lastRequest().body.toString()).toBe('1,2,3\n4,5,6');
    // A single score with two labels reads as a binary classifier's logit.
    const sigmoid = (value: number): number => 1 / (1 + Math.exp(-value));
    expect(result.predictions).toEqual([
      { output: 6, label: 'dog', probability: sigmoid(6) },
      { output: 15, label: 'dog', probability: sigmoid(15) },
    ]);
  });

  it('passes an image through untouched to an image endpoint', async () => {
    const bytes = encodePng(patternImage(5, 5, 3));
    const result = await fixture.predict({ kind: 'sagemaker', endpoint: 'vision', content_type: 'image/jpeg' }, parseImageInput(bytes, 'image/png', fixture.config.limits));
    expect(lastRequest().headers['content-type']).toBe('image/png');
    expect(lastRequest().body.equals(bytes)).toBe(true);
    expect(result.predictions).toEqual([{ output: [0.1, 0.9], label: 'dog', probability: 0.9 }]);
  });

  it('turns the container\'s 4xx into 400 with its message, and its crash into 502 without it', async () => {
    const picky = await rejectionOf(fixture.predict({ kind: 'sagemaker', endpoint: 'picky' }, fixture.json({ input: [1, 2] })));
    expect(picky.kind).toBe('invalid');
    expect(picky.message).toContain('expected 4 features, got 2');

    const scripted = await rejectionOf(fixture.predict({ kind: 'sagemaker', endpoint: 'scripted' }, fixture.json({ input: [1, 2] })));
    expect(scripted.kind).toBe('invalid');
    expect(scripted.message).toBe('The sagemaker backend rejected the input: This scikit-learn model takes 4 features per row; got 2');

    const crashing = await rejectionOf(fixture.predict({ kind: 'sagemaker', endpoint: 'crashing' }, fixture.json({ input: [1, 2] })));
    expect(crashing.kind).toBe('bad_gateway');
    expect(crashing.message).toContain('sagemaker');
    expect(crashing.message).not.toContain('/opt/ml');
  });

  it('answers 502 for an endpoint SageMaker does not know, without its account details', async () => {
    const error = await rejectionOf(fixture.predict({ kind: 'sagemaker', endpoint: 'missing' }, fixture.json({ input: [1, 2] })));
    expect(error.kind).toBe('bad_gateway');
    expect(error.message).toContain('ValidationError');
    expect(error.message).not.toContain('123456789012');
  });
});
