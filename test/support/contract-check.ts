import { contractOf } from '../../functions/contracts/route-contracts';
import { errorBody } from '../../functions/contracts/views';
import { catalogueEntry } from '../../functions/errors/error-catalogue';
import { statusForKind } from '../../functions/errors/error-status';
import { matchRoute } from '../../functions/routes/match-route';
import { ROUTES } from '../../functions/routes/route-table';

/** What the check saw: the route that answered, and each way the answer broke its contract. */
export interface ContractCheck {
  readonly routeId?: string;
  readonly violations: readonly string[];
}

/** The fallback (no route, or a wrong method) may answer only these. */
const FALLBACK_CODES = new Set(['route_not_found', 'method_not_allowed', 'invalid_path', 'internal_error']);

/**
 * Holds one real answer to the contract of the route that gave it
 * (functions/contracts/route-contracts.ts): its status must be declared, a success body must match
 * the declared schema, and an error must be `{"error":{"code","message"}}` with a catalogued code
 * that the route lists and whose kind gives that status. The seed's multipart image form posted to
 * `/model/{name}` is held to the createModel contract too, which declares its prediction answer.
 *
 * @param body the parsed JSON body, or undefined for a body that is not JSON
 */
export function checkAnswer(method: string, rawPath: string, status: number, body: unknown, contentType: string | null): ContractCheck {
  const path = rawPath.split('?')[0] ?? rawPath;
  let match: ReturnType<typeof matchRoute>;
  try {
    match = matchRoute(ROUTES, method === 'HEAD' ? 'GET' : method, path);
  } catch {
    match = { kind: 'no_route' };
  }
  const violations: string[] = [];
  const isJson = (contentType ?? '').toLowerCase().startsWith('application/json');
  if (match.kind !== 'matched') {
    const code = (body as { error?: { code?: string } } | undefined)?.error?.code;
    if (method !== 'HEAD' && (!errorBody.safeParse(body).success || !FALLBACK_CODES.has(code ?? ''))) violations.push(`${method} ${path}: unrouted answer ${status} ${JSON.stringify(body)?.slice(0, 200)}`);
    return { violations };
  }
  const contract = contractOf(match.route.id);
  const where = `${match.route.id} (${method} ${path}) answered ${status}`;
  if (method === 'HEAD') return { routeId: match.route.id, violations };
  const declared = contract.responses[status];
  if (declared) {
    // A status with both forms (a download's bytes, or its JSON link) is held to the one it came in.
    if (declared.body && (isJson || !declared.contentType)) {
      if (!isJson) violations.push(`${where} as ${contentType}, not JSON`);
      else {
        const parsed = declared.body.safeParse(body);
        if (!parsed.success) violations.push(`${where} with a body its schema refuses: ${parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      }
    } else if (declared.contentType) {
      const allowed = typeof declared.contentType === 'string' ? [declared.contentType] : declared.contentType;
      if (!allowed.some((mediaType) => (contentType ?? '').startsWith(mediaType))) violations.push(`${where} as ${contentType}, not ${allowed.join(' or ')}`);
    }
    return { routeId: match.route.id, violations };
  }
  if (status < 400) {
    violations.push(`${where}, a status its contract does not declare`);
    return { routeId: match.route.id, violations };
  }
  const pages = contract.errorPages;
  if (pages && (contentType ?? '').toLowerCase().startsWith(pages.contentType)) {
    // An error page (a tombstone to a browser) has no code to read: its status must be one of its codes'.
    if (!pages.codes.some((code) => statusForKind(catalogueEntry(code)?.kind ?? 'internal') === status)) violations.push(`${where} as ${contentType}, a page for none of ${pages.codes.join(', ')}`);
    return { routeId: match.route.id, violations };
  }
  if (!isJson || !errorBody.safeParse(body).success) {
    violations.push(`${where} with an error that is not {"error":{"code","message"}}: ${JSON.stringify(body)?.slice(0, 200)}`);
    return { routeId: match.route.id, violations };
  }
  const code = (body as { error: { code: string } }).error.code;
  const entry = catalogueEntry(code);
  if (!entry) violations.push(`${where} with code '${code}', which is not in the error catalogue`);
  else if (statusForKind(entry.kind) !== status) violations.push(`${where} with code '${code}', whose kind '${entry.kind}' is status ${statusForKind(entry.kind)}`);
  if (!contract.errors.includes(code as never)) violations.push(`${where} with code '${code}', which its contract does not list`);
  return { routeId: match.route.id, violations };
}
