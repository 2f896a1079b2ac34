import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SigV4Verifier } from '../../local/sigv4-verifier';

/** One request as the fake received it, and what it found wrong with it (nothing, for a good one). */
export interface ReceivedCall {
  readonly target: string;
  readonly body: unknown;
  readonly problems: readonly string[];
}

export interface FakeCognito {
  /** The endpoint: what AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER (MLHUB_COGNITO_ENDPOINT locally) names. */
  readonly url: string;
  readonly userPoolId: string;
  readonly calls: ReceivedCall[];
  /** Adds a user, or changes whether one is enabled. */
  setUser(username: string, enabled: boolean): void;
  deleteUser(username: string): void;
  /** While true, every call answers 500 InternalErrorException, as during an outage. */
  outage: boolean;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const JSON_1_1 = 'application/x-amz-json-1.1';

/**
 * A user pool's AdminGetUser over the Cognito Identity Provider API's own protocol (AWS JSON 1.1:
 * POST / with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`, a JSON body, errors
 * as HTTP 400 or 500 with `{"__type", "message"}`; Amazon Cognito API Reference, AdminGetUser), on
 * 127.0.0.1, so the real SDK client can be driven against it. It checks what it receives as
 * Cognito would: a SigV4 signature for the `cognito-idp` service by the given credentials over the
 * exact body, the content type, the operation, the pool id and the parameters; each call is
 * recorded with the problems found, and one with problems is refused.
 */
export async function startFakeCognito(options: { userPoolId: string; credentials: { accessKeyId: string; secretAccessKey: string } }): Promise<FakeCognito> {
  const users = new Map<string, boolean>();
  const calls: ReceivedCall[] = [];
  const verifier = new SigV4Verifier(new Map([[options.credentials.accessKeyId, options.credentials.secretAccessKey]]));
  const state = { outage: false };

  const answer = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
    response.writeHead(status, { 'content-type': JSON_1_1, ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
    response.end(JSON.stringify(body));
  };
  const fail = (response: ServerResponse, status: number, type: string, message: string) => answer(response, status, { __type: type, message }, type);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const problems: string[] = [];
    const target = String(request.headers['x-amz-target'] ?? '');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      problems.push('the body is not JSON');
    }
    if (request.method !== 'POST' || request.url !== '/') problems.push(`${request.method} ${request.url} instead of POST /`);
    if (request.headers['content-type'] !== JSON_1_1) problems.push(`content-type ${request.headers['content-type']}`);
    const verdict = await verifier.verify(
      { method: request.method ?? '', url: request.url ?? '', headers: request.headers },
      { service: 'cognito-idp', payloadSha256: createHash('sha256').update(raw).digest('hex') },
    );
    if (!verdict.ok) problems.push(`signature: ${verdict.code} ${verdict.message}`);
    const params = (body ?? {}) as Record<string, unknown>;
    if (target !== `${TARGET_PREFIX}AdminGetUser`) problems.push(`operation ${target}`);
    else if (JSON.stringify(Object.keys(params).sort()) !== JSON.stringify(['UserPoolId', 'Username'])) problems.push(`parameters ${Object.keys(params).join(', ')}`);
    calls.push({ target: target.slice(TARGET_PREFIX.length), body, problems });

    if (!verdict.ok) return fail(response, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (problems.length > 0) return fail(response, 400, 'InvalidParameterException', problems.join('; '));
    if (state.outage) return fail(response, 500, 'InternalErrorException', 'Internal error');
    if (params.UserPoolId !== options.userPoolId) return fail(response, 400, 'ResourceNotFoundException', `User pool ${String(params.UserPoolId)} does not exist.`);
    const username = String(params.Username);
    const enabled = users.get(username);
    if (enabled === undefined) return fail(response, 400, 'UserNotFoundException', 'User does not exist.');
    const created = Math.floor(Date.now() / 1000) - 3600;
    return answer(response, 200, {
      Username: username,
      UserAttributes: [{ Name: 'sub', Value: username }, { Name: 'email', Value: `${username.slice(0, 8)}@example.org` }],
      UserCreateDate: created,
      UserLastModifiedDate: created,
      Enabled: enabled,
      UserStatus: 'CONFIRMED',
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => fail(response, 500, 'InternalErrorException', String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    userPoolId: options.userPoolId,
    calls,
    setUser: (username, enabled) => void users.set(username, enabled),
    deleteUser: (username) => void users.delete(username),
    get outage() {
      return state.outage;
    },
    set outage(value: boolean) {
      state.outage = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
