import { describe, expect, it } from 'vitest';
import { acceptance, prefers } from '../../functions/http/accept';
import { CORS_ENV, corsResponseHeaders, loadCorsOrigins, originProblem, preflightResponse } from '../../functions/http/cors';

describe('the CORS policy', () => {
  it.each([
    ['https://app.example.org', undefined],
    ['https://app.example.org:8443', undefined],
    ['http://localhost:5173', undefined],
    ['https://app.example.org/', /no path/],
    ['http://app.example.org', /https origin/],
    ['HTTPS://APP.example.org', /https origin/],
    ['null', /not an origin/],
    ['*', /not an origin/],
  ])('judges %s as an origin a browser sends', (origin, problem) => {
    if (problem === undefined) expect(originProblem(origin)).toBeUndefined();
    else expect(originProblem(origin)).toMatch(problem);
  });

  it('reads MLHUB_CORS_ORIGINS as a comma-separated list, once each, and names the variable when one is wrong', () => {
    expect(loadCorsOrigins({ [CORS_ENV]: ' https://a.example.org,,http://localhost:3000, https://a.example.org ' })).toEqual(['https://a.example.org', 'http://localhost:3000']);
    expect(loadCorsOrigins({})).toEqual([]);
    expect(() => loadCorsOrigins({ [CORS_ENV]: 'https://a.example.org/x' })).toThrow(/^MLHUB_CORS_ORIGINS: 'https:\/\/a.example.org\/x' must be an https origin/);
  });

  it('lets only a configured origin read an answer, and says Vary: Origin whenever CORS is on', () => {
    expect(corsResponseHeaders([], 'https://a.example.org')).toEqual({});
    expect(corsResponseHeaders(['https://a.example.org'], 'https://b.example.org')).toEqual({ vary: 'origin' });
    expect(corsResponseHeaders(['https://a.example.org'], undefined)).toEqual({ vary: 'origin' });
    expect(corsResponseHeaders(['https://a.example.org'], 'https://a.example.org')).toMatchObject({ vary: 'origin', 'access-control-allow-origin': 'https://a.example.org' });
  });

  it('answers a preflight with 204, and the methods, headers and max age only to a configured origin', () => {
    const allowed = preflightResponse(['https://a.example.org'], 'https://a.example.org', ['GET', 'HEAD']);
    expect(allowed).toEqual({
      statusCode: 204,
      body: '',
      headers: {
        vary: 'origin',
        'access-control-allow-origin': 'https://a.example.org',
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'authorization, content-type, if-match',
        'access-control-max-age': '3600',
      },
    });
    expect(preflightResponse(['https://a.example.org'], 'https://b.example.org', ['GET'])).toEqual({ statusCode: 204, body: '', headers: { vary: 'origin' } });
    expect(preflightResponse([], 'https://a.example.org', ['GET'])).toEqual({ statusCode: 204, body: '', headers: {} });
  });
});

describe('Accept negotiation (RFC 9110 §12.5.1)', () => {
  it('weighs a media type by the most specific range that matches it', () => {
    expect(acceptance(undefined, 'application/json')).toEqual({ q: 1, named: false });
    expect(acceptance('application/*;q=0.4, */*;q=0.1', 'application/json')).toEqual({ q: 0.4, named: false });
    expect(acceptance('application/json;q=0, */*', 'application/json')).toEqual({ q: 0, named: true });
    expect(acceptance('text/html', 'application/json')).toEqual({ q: 0, named: false });
    expect(acceptance('Application/JSON; charset=utf-8', 'application/json')).toEqual({ q: 1, named: true });
  });

  it.each([
    [undefined, false],
    ['*/*', false],
    ['application/json', true],
    ['application/json, text/plain, */*', true],
    ['application/gzip, application/json;q=0.5', false],
    ['application/json;q=0.9, application/gzip;q=0.8', true],
    ['application/json;q=0, */*', false],
    ['application/*', false],
  ])('with Accept %s, JSON is preferred to gzip: %s', (accept, json) => {
    expect(prefers(accept, 'application/json', 'application/gzip')).toBe(json);
  });
});
