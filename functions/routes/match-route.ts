import { invalid } from '../errors/app-error';
import type { HttpMethod, RouteSpec } from './route-table';

export type RouteMatch =
  | { readonly kind: 'matched'; readonly route: RouteSpec; readonly params: Record<string, string> }
  | { readonly kind: 'wrong_method'; readonly allowed: readonly (HttpMethod | 'HEAD')[] }
  | { readonly kind: 'no_route' };

const templateCache = new Map<string, readonly string[]>();

function templateSegments(path: string): readonly string[] {
  let segments = templateCache.get(path);
  if (!segments) {
    segments = path.split('/').slice(1);
    templateCache.set(path, segments);
  }
  return segments;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid('invalid_path', `Path segment '${segment}' is not valid percent-encoding`);
  }
}

/** Matches a raw (still percent-encoded) path against one API Gateway path template. */
export function matchTemplate(template: string, rawPath: string): Record<string, string> | undefined {
  const expected = templateSegments(template);
  const actual = rawPath.split('/').slice(1);
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < expected.length; i += 1) {
    const want = expected[i] as string;
    const got = actual[i] as string;
    if (want.startsWith('{') && want.endsWith('}')) {
      if (got === '') return undefined;
      params[want.slice(1, -1)] = decodeSegment(got);
    } else if (want !== got) {
      return undefined;
    }
  }
  return params;
}

/** The methods a route answers: its own, and HEAD for a GET route (RFC 9110 §9.3.2). */
export const routeMethods = (route: RouteSpec): readonly (HttpMethod | 'HEAD')[] => (route.method === 'GET' ? ['GET', 'HEAD'] : [route.method]);

/** Finds the route for a request the way API Gateway does, telling a wrong method from a wrong path. */
export function matchRoute(routes: readonly RouteSpec[], method: string, rawPath: string): RouteMatch {
  const allowed: (HttpMethod | 'HEAD')[] = [];
  for (const route of routes) {
    const params = matchTemplate(route.path, rawPath);
    if (!params) continue;
    const methods = routeMethods(route);
    if (methods.includes(method as HttpMethod)) return { kind: 'matched', route, params };
    allowed.push(...methods);
  }
  return allowed.length > 0 ? { kind: 'wrong_method', allowed } : { kind: 'no_route' };
}
