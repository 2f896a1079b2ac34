import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchRoute, matchTemplate } from '../../functions/routes/match-route';
import { FALLBACK_HANDLER, LAMBDA_BINARY_BODY_LIMIT, LAMBDA_PAYLOAD_LIMIT, ROUTES } from '../../functions/routes/route-table';

const handlerFile = (module: string) => new URL(`../../functions/handlers/${module}.ts`, import.meta.url);

describe('route table', () => {
  it('has unique ids and unique method + path pairs', () => {
    expect(new Set(ROUTES.map((route) => route.id)).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((route) => `${route.method} ${route.path}`)).size).toBe(ROUTES.length);
  });

  it('names a handler module that exists for every route and for the fallback', () => {
    for (const module of [...ROUTES.map((route) => route.handler), FALLBACK_HANDLER]) {
      expect(existsSync(handlerFile(module)), module).toBe(true);
    }
  });

  it('serves every endpoint of the seed API', () => {
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`);
    for (const key of ['GET /model/{name}', 'POST /model/{name}', 'PUT /model/{name}', 'DELETE /model/{name}', 'GET /models', 'POST /model/{name}/upload', 'GET /model/{name}/download']) {
      expect(keys).toContain(key);
    }
  });

  it('keeps body limits consistent with the body kind, and within API Gateway and Lambda timeouts', () => {
    for (const route of ROUTES) {
      expect(route.body === 'none' ? route.bodyLimit === 0 : route.bodyLimit > 0, route.id).toBe(true);
      expect(route.timeoutSeconds).toBeLessThanOrEqual(29);
    }
  });

  it('sizes the binary body limit so a base64 event fits one Lambda invocation', () => {
    expect(Math.ceil(LAMBDA_BINARY_BODY_LIMIT / 3) * 4).toBeLessThan(LAMBDA_PAYLOAD_LIMIT);
    expect(LAMBDA_BINARY_BODY_LIMIT).toBeGreaterThan(4 * 1024 * 1024);
  });
});

describe('matchRoute', () => {
  it('matches a path template and decodes parameters', () => {
    expect(matchTemplate('/model/{name}/upload', '/model/my%2Dmodel/upload')).toEqual({ name: 'my-model' });
    expect(matchTemplate('/model/{name}', '/model/a/b')).toBeUndefined();
    expect(matchTemplate('/model/{name}', '/model/')).toBeUndefined();
  });

  it('finds the route for a method and path', () => {
    const match = matchRoute(ROUTES, 'PUT', '/model/mnist');
    expect(match.kind).toBe('matched');
    expect(match.kind === 'matched' && match.route.id).toBe('updateModel');
  });

  it('answers HEAD with the GET route of the same path, and no other', () => {
    const match = matchRoute(ROUTES, 'HEAD', '/model/mnist/download');
    expect(match.kind === 'matched' && match.route.id).toBe('downloadBundle');
    expect(matchRoute(ROUTES, 'HEAD', '/model/mnist/upload')).toEqual({ kind: 'wrong_method', allowed: ['POST'] });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(matchRoute(ROUTES, 'PATCH', '/model/mnist')).toEqual({ kind: 'wrong_method', allowed: ['POST', 'GET', 'HEAD', 'PUT', 'DELETE'] });
    expect(matchRoute(ROUTES, 'GET', '/nothing/here')).toEqual({ kind: 'no_route' });
  });

  it('refuses malformed percent-encoding', () => {
    expect(() => matchRoute(ROUTES, 'GET', '/model/%E0%A4%A')).toThrow(/not valid percent-encoding/);
  });
});
