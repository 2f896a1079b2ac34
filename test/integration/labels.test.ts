/** Labels a person reads back later refuse control, format and line-separator characters, over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalIssuer } from '../../local/local-issuer';
import { call, expectError } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

let mlhub: RunningMlhub;
let asAda: Record<string, string>;

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required' } });
  asAda = { authorization: `Bearer ${await (await openLocalIssuer(mlhub.dataDir)).sign('ada')}`, 'content-type': 'application/json' };
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

describe('labels over HTTP', () => {
  it('POST /tokens refuses a name with a NUL, a right-to-left override or a line separator, and takes a readable one', async () => {
    for (const name of ['a\u0000b', 'invoice\u202egpj.exe', 'ci\u2028deploy']) {
      expectError(await call(mlhub.url, 'POST', '/tokens', { headers: asAda, body: JSON.stringify({ name }) }), 400, 'invalid_body', /^Invalid request body: name must not contain control, format or line-separator characters$/);
    }
    expect((await call(mlhub.url, 'POST', '/tokens', { headers: asAda, body: JSON.stringify({ name: 'ñandú laptop' }) })).status).toBe(201);
    const listed = await call<{ name: string }[]>(mlhub.url, 'GET', '/tokens', { headers: asAda });
    expect(listed.body.map((token) => token.name)).toEqual(['ñandú laptop']);
  });

  it('PUT /model/{name}/access refuses a grant whose user holds a control character', async () => {
    expect((await call(mlhub.url, 'POST', '/model/labelled', { headers: asAda, body: JSON.stringify({ type: 'onnx' }) })).status).toBe(201);
    expectError(await call(mlhub.url, 'PUT', '/model/labelled/access', { headers: asAda, body: JSON.stringify({ grants: [{ user: 'bob\u001b[2Jeve', role: 'read' }] }) }), 400, 'invalid_body', /grants\.0\.user must not contain control/);
  });
});
