import { describe, expect, it } from 'vitest';
import { acceptance, prefers } from '../../functions/http/accept';
import { CORS_ENV, corsResponseHeaders, loadCorsOrigins, originProblem, preflightResponse, withCorsHeaders } from '../../functions/http/cors';

describe('the CORS policy', () => {
  it.each([
    ['https://app.example.org', undefined],
    ['https://app.example.org:8443', undefined],
    ['http://localhost:5173', undefined],
    ['http://127.0.0.1:8080', undefined],
    ['http://[::1]:3000', undefined],
    ['https://app.example.org/', /^'https:\/\/app.example.org\/' is not written as browsers send it: write https:\/\/app.example.org$/],
    ['https://app.example.org/ui', /has no path.*: write https:\/\/app.example.org$/],
    ['https://APP.example.org', /: write https:\/\/app.example.org$/],
    ['HTTPS://APP.example.org', /: write https:\/\/app.example.org$/],
    ['https://app.example.org:443', /: write https:\/\/app.example.org$/],
    ['http://LOCALHOST:5173', /: write http:\/\/localhost:5173$/],
    ['http://[0:0:0:0:0:0:0:1]:3000', /: write http:\/\/\[::1\]:3000$/],
    ['http://app.example.org', /must be an https origin such as https:\/\/app.example.org, or http on localhost, 127.0.0.1 or \[::1\]$/],
    ['http://127.0.0.2:8080', /must be an https origin/],
    ['null', /not an origin/],
    ['*', /not an origin/],
  ])('judges %s as an origin a browser sends', (origin, problem) => {
    if (problem === undefined) expect(originProblem(origin)).toBeUndefined();
    else expect(originProblem(origin)).toMatch(problem);
  });

  it('reads MLHUB_CORS_ORIGINS as a comma-separated list, once each, and names the variable when one is wrong', () => {
    expect(loadCorsOrigins({ [CORS_ENV]: ' https://a.example.org,,http://localhost:3000, https://a.example.org ' })).toEqual(['https://a.example.org', 'http://localhost:3000']);
    expect(loadCorsOrigins({})).toEqual([]);
    expect(() => loadCorsOrigins({ [CORS_ENV]: 'https://a.example.org/x' })).toThrow(/^MLHUB_CORS_ORIGINS: 'https:\/\/a.example.org\/x' is not written as browsers send it \(an origin has no path, query or credentials\): write https:\/\/a.example.org$/);
  });

  it('lets only a configured origin read an answer, and says Vary: Origin whenever CORS is on', () => {
    expect(corsResponseHeaders([], 'https://a.example.org')).toEqual({});
    expect(corsResponseHeaders(['https://a.example.org'], 'https://b.example.org')).toEqual({ vary: 'origin' });
    expect(corsResponseHeaders(['https://a.example.org'], undefined)).toEqual({ vary: 'origin' });
    expect(corsResponseHeaders(['https://a.example.org'], 'https://a.example.org')).toMatchObject({ vary: 'origin', 'access-control-allow-origin': 'https://a.example.org' });
  });

  it('adds the CORS headers to an answer once, keeping its Vary, whichever layer calls it', () => {
    const origins = ['https://a.example.org'];
    const once = withCorsHeaders({ vary: 'accept', etag: '"x"' }, origins, 'https://a.example.org');
    expect(once).toEqual({ ...corsResponseHeaders(origins, 'https://a.example.org'), vary: 'accept, origin', etag: '"x"' });
    expect(withCorsHeaders(once, origins, 'https://a.example.org')).toEqual(once);
    const preflight = preflightResponse(origins, 'https://a.example.org', ['GET']).headers;
    expect(withCorsHeaders(preflight, origins, 'https://a.example.org')).toEqual(preflight);
    expect(withCorsHeaders({}, origins, 'https://b.example.org')).toEqual({ vary: 'origin' });
    expect(withCorsHeaders({ vary: 'accept' }, [], 'https://a.example.org')).toEqual({ vary: 'accept' });
  });

  it('lets browser code read why a token was refused', () => {
    expect(corsResponseHeaders(['https://a.example.org'], 'https://a.example.org')['access-control-expose-headers']?.split(', ')).toContain('www-authenticate');
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

  it('takes weights as RFC 9110 §12.4.2 writes them: 0 to 1, at most three decimals; a range with another is absent', () => {
    expect(acceptance('application/json;q=0.001', 'application/json')).toEqual({ q: 0.001, named: true });
    expect(acceptance('application/json;Q=1.000', 'application/json')).toEqual({ q: 1, named: true });
    expect(acceptance('application/json;q=0.', 'application/json')).toEqual({ q: 0, named: true });
    for (const weight of ['abc', '1.5', '1.001', '0.1234', '', '-0', '1e-1', '.5', ' 0.5']) {
      expect(acceptance(`application/json;q=${weight}, text/html`, 'application/json'), weight).toEqual({ q: 0, named: false });
    }
    // Nothing valid left: as if no Accept was sent.
    expect(acceptance('application/json;q=2', 'application/json')).toEqual({ q: 1, named: false });
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
    // Equal weights: ties go to JSON, in either order; a named type beats a wildcard as heavy.
    ['application/json, application/gzip', true],
    ['application/gzip, application/json', true],
    ['application/gzip;q=0.5, application/json;q=0.500', true],
    ['application/gzip, */*', false],
    // An invalid weight drops its range (RFC 9110 §12.4.2), as if it were not sent.
    ['application/json;q=abc, application/gzip;q=0.5', false],
    ['application/json;q=1.5, application/gzip;q=0.5', false],
    ['application/json;q=0.1234, application/gzip;q=0.5', false],
    ['application/json;q=, application/gzip;q=0.5', false],
    ['application/gzip;q=abc, application/json;q=0.1', true],
  ])('with Accept %s, JSON is preferred to gzip: %s', (accept, json) => {
    expect(prefers(accept, 'application/json', 'application/gzip')).toBe(json);
  });
});
