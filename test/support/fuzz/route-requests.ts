import fc from 'fast-check';
import type { RouteSpec } from '../../../functions/routes/route-table';
import { bodyArbitrary } from './body-arbitraries';
import type { FuzzAssets } from './fuzz-assets';
import type { RawRequest } from './raw-http';
import { authorization, contentType, existingSegment, extraHeaders, headerSpelling, idSegment, ifMatch, nameSegment, pathSuffix, plainContentType, queryString, type FuzzWorld } from './request-arbitraries';

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
 * Where a request's oddities lie. Sending everything odd at once mostly tests the first check a
 * route makes; a request odd in one place only and plain elsewhere reaches the checks behind it.
 * The body is always generated: it is what most routes read.
 */
type Focus = 'everything' | 'body' | 'path' | 'query' | 'credentials' | 'headers';

const focus: fc.Arbitrary<Focus> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Focus>('everything') },
  { weight: 3, arbitrary: fc.constant<Focus>('body') },
  { weight: 2, arbitrary: fc.constantFrom<Focus>('path', 'query', 'credentials', 'headers') },
);

/**
 * Requests for one route, derived from its entry in the route table alone: its method, path
 * parameters and body kind decide what is generated, so a new route is fuzzed without a line here.
 */
export function routeRequests(route: RouteSpec, world: FuzzWorld, assets: FuzzAssets): fc.Arbitrary<FuzzRequest> {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
  const oddSegments = fc.tuple(...params.map((param) => (param === 'name' ? nameSegment(world) : idSegment(world))));
  const plainSegments = fc.tuple(...params.map((param) => existingSegment(world, param)));
  const method = route.method === 'GET' ? fc.oneof({ weight: 7, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constant('HEAD') }) : fc.constant(route.method);
  const body = bodyArbitrary(route.body, route.bodyLimit, assets);
  const typed = body.chain((chosen) => contentType(chosen.form, chosen.boundary).map((type) => ({ body: chosen, type })));

  return fc.record({
    focus, method, oddSegments, plainSegments, suffix: pathSuffix, query: queryString, typed,
    oddAuth: authorization(world), plainAuth: fc.constantFrom(...world.credentials), ifMatch, extra: extraHeaders, spell: headerSpelling,
  }).map((generated) => {
    const odd = (part: Focus) => generated.focus === 'everything' || generated.focus === part;
    const { body: chosen } = generated.typed;
    const values = odd('path') ? generated.oddSegments : generated.plainSegments;
    let index = 0;
    const path = route.path.replace(/\{\w+\}/g, () => values[index++] as string) + (odd('path') ? generated.suffix : '');
    const spell = odd('headers') ? generated.spell : (name: string) => name;
    const auth = odd('credentials') ? generated.oddAuth : generated.plainAuth;
    const type = odd('headers') ? generated.typed.type : plainContentType(chosen.form, chosen.boundary);
    const headers: [string, string][] = [];
    if (auth !== undefined) headers.push([spell('authorization'), auth]);
    if (type !== undefined) headers.push([spell('content-type'), type]);
    if (odd('headers') && generated.ifMatch !== undefined) headers.push([spell('if-match'), generated.ifMatch]);
    if (odd('headers')) headers.push(...generated.extra);
    const target = `${path}${odd('query') ? generated.query : ''}`;
    const request: FuzzRequest = { method: generated.method, target, headers: withinHeaderBudget(target, headers), body: chosen.bytes, bodyLabel: chosen.label };
    return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
  });
}
