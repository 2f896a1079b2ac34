/**
 * GET /status, run as Lambda runs it, with stores that do not answer: the 503 says which store
 * failed, and the log says why, at ERROR under the request's correlation id.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IDENTITY_ENV } from '../../../functions/identity/identity-config';
import { CONFIG_ENV } from '../../../functions/platform/function-config';
import { newRequestId, toApiGatewayEvent } from '../../../local/api-gateway-event';
import { lambdaContext } from '../../../local/lambda-context';
import { LOCAL_S3_CREDENTIALS } from '../../../local/s3-server';
import { closedPort } from '../../support/inference/protocol-server';
import { captureOutput, jsonLines } from './captured-output';

const saved = { ...process.env };
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let getStatus: Handler;

beforeAll(async () => {
  const down = `http://127.0.0.1:${await closedPort()}`;
  Object.assign(process.env, {
    [CONFIG_ENV.table]: 'mlhub-status', [CONFIG_ENV.bucket]: 'mlhub-bundles',
    [IDENTITY_ENV.issuer]: 'https://issuer.example', [IDENTITY_ENV.audience]: 'mlhub', [IDENTITY_ENV.jwksUri]: `${down}/jwks.json`,
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: down, AWS_ENDPOINT_URL_S3: down, AWS_MAX_ATTEMPTS: '1',
  });
  delete process.env.MLHUB_LOG_FORMAT;
  ({ handler: getStatus } = (await import('../../../functions/handlers/get-status')) as unknown as { handler: Handler });
});

afterAll(() => {
  process.env = saved;
});

it('answers 503 naming the stores that failed, and logs each failure with its cause at ERROR under the request id', async () => {
  const output = captureOutput();
  try {
    const requestId = newRequestId();
    const event = toApiGatewayEvent({ method: 'GET', url: '/status', headers: { host: '127.0.0.1' }, body: Buffer.alloc(0), sourceIp: '127.0.0.1', localPort: 8083 }, { routeKey: 'GET /status' }, requestId);
    const response = await getStatus(event, lambdaContext('mlhub-getStatus', requestId, 256, 10));
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body as string)).toMatchObject({ status: 'degraded', checks: { metadata: 'unavailable', bundles: 'unavailable' } });

    const errors = jsonLines(output.text()).filter((entry) => entry.level === 'ERROR');
    const failures = errors.filter((entry) => entry.message === 'store check failed');
    expect(failures.map((entry) => entry.store).sort()).toEqual(['bundles', 'metadata']);
    for (const failure of failures) {
      expect(failure).toMatchObject({ correlation_id: requestId, route_id: 'getStatus' });
      expect(JSON.stringify(failure.error)).toMatch(/ECONNREFUSED/);
    }
    expect(errors.filter((entry) => entry.message === 'request failed')).toEqual([expect.objectContaining({ status: 503, correlation_id: requestId })]);
  } finally {
    output.restore();
  }
});
