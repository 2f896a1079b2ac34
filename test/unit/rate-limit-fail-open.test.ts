import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_ENV } from '../../functions/identity/identity-config';
import { CONFIG_ENV } from '../../functions/platform/function-config';
import { newRequestId, toApiGatewayEvent } from '../../local/api-gateway-event';
import { lambdaContext } from '../../local/lambda-context';
import { LOCAL_S3_CREDENTIALS } from '../../local/s3-server';
import { closedPort } from '../support/inference/protocol-server';

/*
 * A route's handler, run as Lambda runs it, with limits on and DynamoDB out of reach: the
 * request must be answered, not turned into a 500. GET /me in dev mode needs no store of its
 * own, so the rate counter is the only thing that fails.
 */
const saved = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, {
    [CONFIG_ENV.table]: 'mlhub', [CONFIG_ENV.bucket]: 'mlhub-bundles', [CONFIG_ENV.rateLimits]: 'read=1/60s',
    [IDENTITY_ENV.devUser]: 'local',
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${await closedPort()}`, AWS_MAX_ATTEMPTS: '1',
  });
});

afterAll(() => {
  process.env = saved;
});

describe('a rate limit whose counters cannot be reached', () => {
  it('lets the request through uncounted, without RateLimit fields', async () => {
    const { handler } = await import('../../functions/handlers/get-me');
    const event = toApiGatewayEvent(
      { method: 'GET', url: '/me', headers: { host: '127.0.0.1' }, body: Buffer.alloc(0), sourceIp: '127.0.0.1', localPort: 8083 },
      { routeKey: 'GET /me' }, newRequestId(),
    );
    for (let i = 0; i < 2; i += 1) {
      const response = await handler(event, lambdaContext('mlhub-getMe', event.requestContext.requestId, 512, 10));
      expect(response.statusCode, String(response.body)).toBe(200);
      expect(JSON.parse(String(response.body))).toEqual({ user: 'local', auth: 'dev', scope: null, token_id: null });
      expect(response.headers?.ratelimit).toBeUndefined();
    }
  });
});
