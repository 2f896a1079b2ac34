import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../functions/routes/match-route';
import { ROUTES } from '../../functions/routes/route-table';
import { loadFuzzAssets } from '../support/fuzz/fuzz-assets';
import { fuzzSettings, routeSeed } from '../support/fuzz/fuzz-settings';
import { replyProblems } from '../support/fuzz/reply-checks';
import { routeRequests } from '../support/fuzz/route-requests';
import { stateChanges } from '../support/fuzz/state-snapshot';

/* The fuzz suite's own parts: each check must be able to fail, and generation must reach every route. */

const reply = (status: number, body: string, contentType = 'application/json; charset=utf-8') =>
  ({ status, headers: { 'content-type': contentType }, body: Buffer.from(body) });

describe('reply checks', () => {
  it('accept successes and MLHub-shaped errors', () => {
    expect(replyProblems('GET', reply(200, 'anything'))).toEqual([]);
    expect(replyProblems('POST', reply(400, '{"error":{"code":"invalid_body","message":"Bad"}}'))).toEqual([]);
    expect(replyProblems('HEAD', reply(404, ''))).toEqual([]);
  });

  it('flag any 5xx, and 4xx answers that are not JSON errors', () => {
    expect(replyProblems('GET', reply(500, '{"error":{"code":"internal_error","message":"x"}}'))).toHaveLength(1);
    expect(replyProblems('HEAD', reply(502, ''))).toHaveLength(1);
    expect(replyProblems('GET', reply(431, '', ''))).not.toEqual([]);
    expect(replyProblems('GET', reply(400, '{"message":"Bad Request"}'))).toHaveLength(1);
    expect(replyProblems('GET', reply(400, '{"error":{"code":"","message":"x"}}'))).toHaveLength(1);
    expect(replyProblems('GET', reply(400, '{"error":{"code":"x","message":"y"},"extra":1}'))).toHaveLength(1);
    expect(replyProblems('GET', reply(400, '{"error":{"code":"x","message":"y"}}', 'text/plain'))).toHaveLength(1);
  });
});

describe('state comparison', () => {
  it('names every item added, removed or changed', () => {
    const before = new Map([['a', '1'], ['b', '2'], ['c', '3']]);
    const after = new Map([['a', '1'], ['b', '20'], ['d', '4']]);
    expect(stateChanges(before, before)).toEqual([]);
    expect(stateChanges(before, after)).toEqual(['changed b: 2 -> 20', 'removed c: 3', 'added d: 4']);
  });
});

describe('settings', () => {
  it('default to a fixed seed and read overrides', () => {
    expect(fuzzSettings({})).toEqual({ seed: 20261130, runsPerRoute: 60, totalMs: 20_000, stats: false });
    expect(fuzzSettings({ MLHUB_FUZZ_SEED: '42', MLHUB_FUZZ_RUNS: '7', MLHUB_FUZZ_SECONDS: '3' })).toMatchObject({ seed: 42, runsPerRoute: 7, totalMs: 3000 });
    expect(() => fuzzSettings({ MLHUB_FUZZ_RUNS: '0' })).toThrow(/MLHUB_FUZZ_RUNS/);
    expect(() => fuzzSettings({ MLHUB_FUZZ_SECONDS: 'soon' })).toThrow(/MLHUB_FUZZ_SECONDS/);
  });

  it('give each route its own seed', () => {
    const seeds = new Set(ROUTES.map((route) => routeSeed(1, route.id)));
    expect(seeds.size).toBe(ROUTES.length);
  });
});

describe('generated requests', async () => {
  const assets = await loadFuzzAssets();
  const world = { credentials: ['Bearer a', 'Bearer b'], names: ['fz-model'], ids: ['0123456789abcdef'] };

  it.each(ROUTES.map((route) => [route.id, route] as const))('reach %s, with odd path parameters too', (_id, route) => {
    const samples = fc.sample(routeRequests(route, world, assets), { numRuns: 150, seed: 7 });
    const matched = samples.filter((request) => {
      try {
        const match = matchRoute(ROUTES, request.method, request.target.split('?')[0] ?? '');
        return match.kind === 'matched' && match.route.id === route.id;
      } catch {
        return false; // not valid percent-encoding: refused before any route
      }
    });
    expect(matched.length).toBeGreaterThan(samples.length / 3);
    const plain = new RegExp(`^${route.path.replace(/\{\w+\}/g, '(fz-model|0123456789abcdef|1)')}(\\?|$)`);
    if (route.path.includes('{')) expect(samples.filter((request) => !plain.test(request.target)).length).toBeGreaterThan(samples.length / 10);
    for (const request of samples) {
      const headerBytes = request.target.length + request.headers.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
      expect(headerBytes).toBeLessThan(16 * 1024);
    }
  });
});
