import fc from 'fast-check';
import type { RouteSpec } from '../../../functions/routes/route-table';
import { bodyArbitrary } from './body-arbitraries';
import type { FuzzAssets } from './fuzz-assets';
import type { RawRequest } from './raw-http';
import { authorization, contentType, extraHeaders, headerSpelling, idSegment, ifMatch, nameSegment, queryString, type FuzzWorld } from './request-arbitraries';

export interface FuzzRequest extends RawRequest {
  readonly bodyLabel: string;
}

/**
 * Node answers 431, without MLHub ever seeing the request, once the request line and headers pass
 * 16 KB; headers are dropped, least important first, to stay well inside that.
 */
const HEADER_BUDGET = 14 * 1024;

const headerBytes = (target: string, headers: readonly (readonly [string, string])[]) =>
  target.length + headers.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);

function withinHeaderBudget(target: string, headers: [string, string][]): [string, string][] {
  const kept = [...headers];
  while (kept.length > 0 && headerBytes(target, kept) > HEADER_BUDGET) kept.pop();
  return kept;
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

/** The request as a reader wants it in a failure report: request line, headers, and what the body is. */
export function describeRequest(request: FuzzRequest): string {
  const headers = request.headers.map(([name, value]) => `  ${name}: ${shorten(JSON.stringify(value), 120)}`);
  const preview = shorten(JSON.stringify(request.body.subarray(0, 400).toString('latin1')), 300);
  return [`${request.method} ${shorten(request.target, 300)}`, ...headers, `  body: ${request.bodyLabel}, ${request.body.length} bytes: ${preview}`].join('\n');
}

/**
 * Requests for one route, derived from its entry in the route table alone: its method, path
 * parameters and body kind decide what is generated, so a new route is fuzzed without a line here.
 */
export function routeRequests(route: RouteSpec, world: FuzzWorld, assets: FuzzAssets): fc.Arbitrary<FuzzRequest> {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
  const segments = fc.tuple(...params.map((param) => (param === 'name' ? nameSegment(world) : idSegment(world))));
  const method = route.method === 'GET' ? fc.oneof({ weight: 7, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constant('HEAD') }) : fc.constant(route.method);
  const body = bodyArbitrary(route.body, route.bodyLimit, assets);
  const typed = body.chain((chosen) => contentType(chosen.form, chosen.boundary).map((type) => ({ body: chosen, type })));

  return fc.record({ method, segments, query: queryString, typed, auth: authorization(world), ifMatch, extra: extraHeaders, spell: headerSpelling })
    .map(({ method: verb, segments: values, query, typed: { body: chosen, type }, auth, ifMatch: tag, extra, spell }) => {
      let index = 0;
      const path = route.path.replace(/\{\w+\}/g, () => values[index++] as string);
      const headers: [string, string][] = [];
      if (auth !== undefined) headers.push([spell('authorization'), auth]);
      if (type !== undefined) headers.push([spell('content-type'), type]);
      if (tag !== undefined) headers.push([spell('if-match'), tag]);
      headers.push(...extra);
      const target = `${path}${query}`;
      const request: FuzzRequest = { method: verb, target, headers: withinHeaderBudget(target, headers), body: chosen.bytes, bodyLabel: chosen.label };
      return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
    });
}
