/**
 * A route's real handler, run as Lambda runs it (an API Gateway v2 event, a Lambda context,
 * Powertools writing to stdout) over a real DynamoDB (dynalite): what its log entries and its
 * EMF document say, and what they never say.
 */
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { userActor } from '../../../functions/identity/actor';
import { IDENTITY_ENV } from '../../../functions/identity/identity-config';
import { CONFIG_ENV } from '../../../functions/platform/function-config';
import { DynamoTokenStore } from '../../../functions/tokens/dynamo-token-store';
import { parseAccessToken } from '../../../functions/tokens/token-format';
import { TokenService } from '../../../functions/tokens/token-service';
import { newRequestId, toApiGatewayEvent } from '../../../local/api-gateway-event';
import { startDynamoServer, type EmbeddedServer } from '../../../local/dynamodb-server';
import { lambdaContext } from '../../../local/lambda-context';
import { ensureTable } from '../../../local/provision';
import { LOCAL_S3_CREDENTIALS } from '../../../local/s3-server';
import { closedPort } from '../../support/inference/protocol-server';
import { captureOutput, emfDocuments, jsonLines, type CapturedOutput } from './captured-output';

const TABLE = 'mlhub-observability';
const saved = { ...process.env };
let dynamo: EmbeddedServer;
let token: string;
let output: CapturedOutput;
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let listModels: Handler;

beforeAll(async () => {
  dynamo = await startDynamoServer({ host: '127.0.0.1' });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
  await ensureTable(client, TABLE);
  const tokens = new TokenService(new DynamoTokenStore(DynamoDBDocumentClient.from(client), TABLE));
  ({ token } = await tokens.create(userActor('ada', 'session'), { name: 'ci', scope: 'read', expires_in_days: 1 }));
  client.destroy();
  // As Lambda sets them (the first invocation is a cold start), with metrics and DEBUG logs on, before the handler module makes its logger.
  Object.assign(process.env, {
    [CONFIG_ENV.table]: TABLE, [CONFIG_ENV.bucket]: 'unused',
    [IDENTITY_ENV.issuer]: 'https://issuer.example', [IDENTITY_ENV.audience]: 'mlhub', [IDENTITY_ENV.jwksUri]: `http://127.0.0.1:${await closedPort()}/jwks.json`,
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.MLHUB_LOG_FORMAT;
  ({ handler: listModels } = (await import('../../../functions/handlers/list-models')) as unknown as { handler: Handler });
});

afterAll(async () => {
  process.env = saved;
  await dynamo?.close();
});

beforeEach(() => {
  output = captureOutput();
  return () => output.restore();
});

/** GET /models as the local gateway (and API Gateway) would deliver it. */
async function getModels(authorization?: string): Promise<{ response: APIGatewayProxyStructuredResultV2; requestId: string }> {
  const requestId = newRequestId();
  const event = toApiGatewayEvent(
    { method: 'GET', url: '/models', headers: { host: '127.0.0.1', ...(authorization ? { authorization } : {}) }, body: Buffer.alloc(0), sourceIp: '127.0.0.1', localPort: 8083 },
    { routeKey: 'GET /models' }, requestId,
  );
  const response = await listModels(event, lambdaContext('mlhub-listModels', requestId, 512, 10));
  return { response, requestId };
}

describe('a handled request', () => {
  it('logs with the correlation id, route id, caller and cold start, and never the token', async () => {
    const { response, requestId } = await getModels(`Bearer ${token}`);
    expect(response.statusCode).toBe(200);
    const entries = jsonLines(output.text());
    const answered = entries.find((entry) => entry.message === 'request answered');
    expect(answered).toMatchObject({
      level: 'DEBUG', service: 'mlhub', correlation_id: requestId, route_id: 'listModels', user_id: 'ada', credential: 'token',
      status: 200, cold_start: true, function_name: 'mlhub-listModels', function_request_id: requestId,
    });
    const { secret } = parseAccessToken(token) as { secret: string };
    expect(output.text()).not.toContain(secret);
    expect(output.text()).not.toContain(token.slice(0, 20));
    expect(output.text()).not.toMatch(/bearer/i);
  });

  it('emits one EMF document: Requests, 4xx, 5xx and Latency in MLHub, by service and route id', async () => {
    await getModels(`Bearer ${token}`);
    const [document, ...others] = emfDocuments(output.text());
    expect(others).toEqual([]);
    expect(document?._aws.CloudWatchMetrics).toEqual([{
      Namespace: 'MLHub',
      Dimensions: [['service', 'route_id']],
      Metrics: [{ Name: 'Requests', Unit: 'Count' }, { Name: '4xx', Unit: 'Count' }, { Name: '5xx', Unit: 'Count' }, { Name: 'Latency', Unit: 'Milliseconds' }],
    }]);
    expect(document).toMatchObject({ service: 'mlhub', route_id: 'listModels', Requests: 1, '4xx': 0, '5xx': 0 });
    expect(document?.Latency).toBeGreaterThan(0);
    expect(Math.abs((document?._aws.Timestamp ?? 0) - Date.now())).toBeLessThan(60_000);
    // Keys are per invocation: the next cold start flag is false, and no caller carries over to an anonymous request.
    const anonymous = await getModels();
    expect(anonymous.response.statusCode).toBe(200);
    const entry = jsonLines(output.text()).find((candidate) => candidate.correlation_id === anonymous.requestId);
    expect(entry).toMatchObject({ cold_start: false, credential: 'none' });
    expect(entry).not.toHaveProperty('user_id');
  });

  it('counts a refusal as a 4xx, logged at DEBUG only, with neither the refused token nor its secret', async () => {
    const forged = `${token.slice(0, token.length - (parseAccessToken(token) as { secret: string }).secret.length)}${'A'.repeat(43)}`;
    const { response } = await getModels(`Bearer ${forged}`);
    expect(response.statusCode).toBe(401);
    expect(emfDocuments(output.text())[0]).toMatchObject({ Requests: 1, '4xx': 1, '5xx': 0 });
    expect(jsonLines(output.text()).filter((entry) => entry.level === 'ERROR' || entry.level === 'WARN')).toEqual([]);
    expect(output.text()).not.toContain('A'.repeat(43));
  });
});

describe('a handled 5xx', () => {
  it('is logged at ERROR with its status, error code and cause, and counted; the session token never appears', async () => {
    // A JWT whose issuer's keys cannot be fetched: 503 identity_unavailable.
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('https://issuer.example').setAudience('mlhub').setExpirationTime('5m').sign(privateKey);
    const { response, requestId } = await getModels(`Bearer ${jwt}`);
    expect(response.statusCode).toBe(503);
    const [failure, ...more] = jsonLines(output.text()).filter((entry) => entry.level === 'ERROR');
    expect(more).toEqual([]);
    expect(failure).toMatchObject({ message: 'request failed', status: 503, error_code: 'identity_unavailable', correlation_id: requestId, route_id: 'listModels' });
    expect(failure?.error).toMatchObject({ name: 'AppError', code: 'identity_unavailable' });
    expect(JSON.stringify(failure?.error)).toMatch(/cause|ECONNREFUSED|fetch failed/i);
    expect(emfDocuments(output.text())[0]).toMatchObject({ Requests: 1, '4xx': 0, '5xx': 1 });
    for (const part of jwt.split('.')) expect(output.text()).not.toContain(part);
  });
});
