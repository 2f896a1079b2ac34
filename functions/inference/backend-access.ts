import { MODEL_NAME_MAX_LENGTH, MODEL_NAME_PATTERN } from '../registry/model-name';
import { modelAddress, type BackendSpec } from './backend-spec';

/**
 * Which backends a model's own `meta.backend` may name, so that no model reaches a backend that
 * serves another (issue 18, "backend isolation"). Deployment defaults (MLHUB_BACKEND_<TYPE>) are
 * the operator's and are not checked here.
 *
 * What is compared:
 * - a SageMaker spec by its endpoint name, exactly (InvokeEndpoint matches the case as written);
 * - a remote spec by its model address (backend-spec.ts `modelAddress`): the model's URL on its
 *   server, `{url}/v1/models/{m}` for TF Serving, `{url}/predictions/{m}` for TorchServe,
 *   `{url}/v2/models/{m}` for the Open Inference Protocol, the server's URL for TFaaS (which picks
 *   its model from the body). Every request the backend sends goes to that URL or under it.
 *   Addresses are compared on parsed parts: scheme, host (lowercase, without a trailing dot), port
 *   (the scheme's default when none is written), and path segments percent-decoded, so
 *   `%62` is `b`. A path segment that decodes to `/`, `\`, `.` or `..`, or is empty, matches no
 *   rule: a server could read it as structure. What a pattern reserves, and whether two rules
 *   overlap, is decided on host and path alone, whatever the scheme and port: one server may
 *   answer on several (plain HTTP beside HTTPS, a second port), so reserving
 *   `https://tfs.example.org/v1/models/b` for `b` reserves `http://tfs.example.org:8080/v1/models/b`
 *   too. What a rule opens is its own scheme and port only.
 *
 * The rules, three kinds of entries:
 * - **per-model patterns** hold `{model}`: in an endpoint name (`mlhub-torch-{model}`) or as one
 *   whole path segment of a URL (`https://tfs.example.org/v1/models/{model}`). A pattern lets a
 *   model reach what it gives for the model's own name, and reserves what it gives for any other
 *   valid model name (registry/model-name.ts) to that model: `a` may name `mlhub-torch-a` and
 *   addresses under `…/v1/models/a/`, never `mlhub-torch-a-b` or `…/v1/models/a-b` (model
 *   `a-b`'s), nor `…/v1/models/A` (model `A`'s; names are case-sensitive). A pattern follows the
 *   name by design, not the owner: model names are reused after DELETE, so the next model of a
 *   deleted model's name reaches its endpoint or address. The operator must delete a model's
 *   per-model endpoint, or the model's path on the server, when the model is deleted.
 * - **shared entries** have no `{model}`: an exact endpoint name, `*` for any endpoint, or a URL
 *   prefix (scheme, host, optional port or `:*`, optional path prefix compared by whole
 *   segments). Any model may use them. A shared entry must not overlap a per-model pattern (no
 *   endpoint or address may fall under both), since it would hand every model what the pattern
 *   reserves; two per-model patterns must not overlap unless they always give the same model.
 * - **assignments**, per model name and owner: exact endpoint names and URL prefixes the operator
 *   gave that model, `{"<model>": {"owner": "<user id>", "backends": ["<endpoint>" | "<url prefix>", …]}}`.
 *   They apply only while the model of that name is owned by that user (the model record's
 *   `owner`, the user id `GET /me` shows): names are reused after DELETE, and another owner's
 *   model of the name gets nothing from the assignment. An assignment must not cover what a
 *   pattern reserves for another model.
 * Conflicting rules are refused when they are read (BackendRuleError): at synth for the stack
 * options, at cold start or `npm start` for the environment variables.
 *
 * A name is decided in this order: reserved for another model → refused ("reserved"); the
 * model's own by a pattern, a shared entry, or assigned to it → allowed; anything else → refused
 * ("unlisted"). With no endpoint list at all (MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST unset, the local
 * default) any endpoint is allowed, and IAM decides.
 */

export const MODEL_PLACEHOLDER = '{model}';

/** A rule that cannot be used, or rules that contradict each other; the message names the entry. */
export class BackendRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendRuleError';
  }
}

interface UrlRule {
  readonly text: string;
  readonly scheme: string;
  readonly host: string;
  /** Digits, or `*` for any port. */
  readonly port: string;
  readonly segments: readonly string[];
  /** The index of the `{model}` segment; -1 for a shared entry. */
  readonly placeholder: number;
}

interface EndpointRule {
  readonly text: string;
  /** For a per-model pattern, the text around `{model}`; for an exact name, the name in `prefix`. */
  readonly prefix: string;
  readonly suffix: string;
  readonly perModel: boolean;
  readonly any: boolean;
}

interface Assigned {
  /** The user id the model of this name must be owned by. */
  readonly owner: string;
  readonly urls: readonly UrlRule[];
  readonly endpoints: readonly string[];
}

export interface BackendRules {
  readonly urls: readonly UrlRule[];
  /** Undefined: any endpoint may be named (no list configured). */
  readonly endpoints?: readonly EndpointRule[];
  readonly assignments: ReadonlyMap<string, Assigned>;
}

/** What the operator assigned one model: its owner's user id, and endpoint names and URL prefixes. */
export interface BackendAssignment {
  readonly owner: string;
  readonly backends: readonly string[];
}

/** The raw rules, as MLHUB_BACKEND_URL_ALLOWLIST, MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST and MLHUB_BACKEND_ASSIGNMENTS give them. */
export interface BackendRuleInput {
  readonly urls: readonly string[];
  readonly endpoints?: readonly string[];
  /** Per model name; values are read as unknown JSON, so a wrong shape is refused with its source named. */
  readonly assignments: Readonly<Record<string, BackendAssignment>>;
}

/** The model whose `meta.backend` is checked, as its record holds it. */
export interface ModelRef {
  readonly name: string;
  /** The owner's user id; a model without one gets no assignment. */
  readonly owner?: string;
}

/** What to call each input in messages: an environment variable, or a stack option. */
export interface BackendRuleSources {
  readonly urls: string;
  readonly endpoints: string;
  readonly assignments: string;
}

export type BackendAccess =
  | { readonly allowed: true; readonly via: 'own' | 'shared' | 'assigned' }
  | { readonly allowed: false; readonly reason: 'reserved' | 'unlisted' | 'unsafe' };

/** A URL entry: scheme, host, an optional port or `:*`, an optional path, no query or fragment. */
export const URL_ENTRY = /^(https?):\/\/([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\.?)(?::(\d{1,5}|\*))?(\/[^?#\s,]*)?$/i;

const SAGEMAKER_ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

export const isModelName = (name: string): boolean =>
  name.length <= MODEL_NAME_MAX_LENGTH && MODEL_NAME_PATTERN.test(name) && !name.includes('..');

export const isSageMakerEndpointName = (name: string): boolean => name.length <= 63 && SAGEMAKER_ENDPOINT_NAME.test(name);

const defaultPort = (scheme: string): string => (scheme === 'https' ? '443' : '80');

const bareHost = (host: string): string => host.toLowerCase().replace(/\.$/, '');

/** A decoded path segment, or undefined for one a server could read as structure. */
function decodedSegment(raw: string): string | undefined {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (segment === '' || segment === '.' || segment === '..' || segment.includes('/') || segment.includes('\\')) return undefined;
  return segment;
}

/** Parses a URL entry; `{model}` only where `perModelAllowed`, as one whole path segment. */
function parseUrlRule(text: string, perModelAllowed: boolean): UrlRule {
  if (/^https?:\/\/[^/]*\{/i.test(text.trim())) throw new BackendRuleError(`'${text}': ${MODEL_PLACEHOLDER} may stand only for a whole path segment, not in the host`);
  const match = URL_ENTRY.exec(text.trim());
  if (!match) throw new BackendRuleError(`'${text}' is not a URL such as https://tfs.example.org, optionally with a port (or :* for any) and a path`);
  const [, rawScheme = '', rawHost = '', rawPort, rawPath = ''] = match;
  const scheme = rawScheme.toLowerCase();
  let host: string;
  try {
    host = bareHost(new URL(`${scheme}://${rawHost}`).hostname);
  } catch {
    throw new BackendRuleError(`'${text}' does not have a valid host`);
  }
  const parts = rawPath.replace(/\/+$/, '').split('/').slice(1);
  const segments: string[] = [];
  let placeholder = -1;
  for (const part of parts) {
    if (part.includes(MODEL_PLACEHOLDER) || part.includes('{') || part.includes('}')) {
      if (!perModelAllowed) throw new BackendRuleError(`'${text}': ${MODEL_PLACEHOLDER} has no meaning here (an assignment is for one model already)`);
      if (part !== MODEL_PLACEHOLDER) throw new BackendRuleError(`'${text}': ${MODEL_PLACEHOLDER} must be a whole path segment, such as https://tfs.example.org/v1/models/${MODEL_PLACEHOLDER}`);
      if (placeholder >= 0) throw new BackendRuleError(`'${text}': ${MODEL_PLACEHOLDER} may appear once`);
      placeholder = segments.length;
      segments.push(MODEL_PLACEHOLDER);
      continue;
    }
    const segment = decodedSegment(part);
    if (segment === undefined) throw new BackendRuleError(`'${text}': the path has an empty, '.' or '..' segment, or one that hides '/' or '\\'`);
    segments.push(segment);
  }
  return { text, scheme, host, port: rawPort ?? defaultPort(scheme), segments, placeholder };
}

function parseEndpointRule(text: string): EndpointRule {
  const name = text.trim();
  if (name === '*') return { text: name, prefix: '', suffix: '', perModel: false, any: true };
  const at = name.indexOf(MODEL_PLACEHOLDER);
  if (at < 0) {
    if (!isSageMakerEndpointName(name)) throw new BackendRuleError(`'${name}' is not a SageMaker endpoint name`);
    return { text: name, prefix: name, suffix: '', perModel: false, any: false };
  }
  const prefix = name.slice(0, at);
  const suffix = name.slice(at + MODEL_PLACEHOLDER.length);
  if (suffix.includes(MODEL_PLACEHOLDER) || !isSageMakerEndpointName(`${prefix}m${suffix}`)) {
    throw new BackendRuleError(`'${name}' is not a SageMaker endpoint name with one ${MODEL_PLACEHOLDER} in it, such as mlhub-torch-${MODEL_PLACEHOLDER}`);
  }
  return { text: name, prefix, suffix, perModel: true, any: false };
}

/** A model address in parsed parts; undefined when its path has a segment no rule may match. */
interface Address {
  readonly scheme: string;
  readonly host: string;
  readonly port: string;
  readonly segments: readonly string[];
}

function parseAddress(address: string): Address | undefined {
  const url = new URL(address);
  const scheme = url.protocol.replace(/:$/, '');
  const path = url.pathname === '/' ? [] : url.pathname.split('/').slice(1);
  const segments: string[] = [];
  for (const raw of path) {
    const segment = decodedSegment(raw);
    if (segment === undefined) return undefined;
    segments.push(segment);
  }
  return { scheme, host: bareHost(url.hostname), port: url.port || defaultPort(scheme), segments };
}

/**
 * Whether the address falls under the rule; for a pattern, the model name it gives there.
 * `anyOrigin` compares host and path only, as for what a pattern reserves (see the module comment).
 */
function matchUrl(rule: UrlRule, address: Address, anyOrigin = false): { readonly binding?: string } | undefined {
  if (rule.host !== address.host) return undefined;
  if (!anyOrigin && (rule.scheme !== address.scheme || (rule.port !== '*' && rule.port !== address.port))) return undefined;
  if (address.segments.length < rule.segments.length) return undefined;
  let binding: string | undefined;
  for (const [index, segment] of rule.segments.entries()) {
    const actual = address.segments[index] as string;
    if (index === rule.placeholder) binding = actual;
    else if (segment !== actual) return undefined;
  }
  return binding === undefined ? {} : { binding };
}

/** The model name a pattern gives an endpoint, compared without case (SageMaker's names are unique regardless of case). */
function endpointBinding(rule: EndpointRule, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (name.length <= rule.prefix.length + rule.suffix.length) return undefined;
  if (!lower.startsWith(rule.prefix.toLowerCase()) || !lower.endsWith(rule.suffix.toLowerCase())) return undefined;
  return name.slice(rule.prefix.length, name.length - rule.suffix.length);
}

// ---- Conflicts between rules, refused when the rules are read ----

type Binding = { readonly free: true } | { readonly name: string };

/**
 * Whether some address falls under both URL rules, and which model each pattern would give it:
 * `free` when the pattern's segment lies past the other rule's end (any name), a name when the
 * other rule has a literal there. Undefined when no address that a model could own is in both.
 * Rules on one host overlap whatever their schemes and ports: one server may answer on several.
 */
function urlOverlap(a: UrlRule, b: UrlRule): { readonly a?: Binding; readonly b?: Binding; readonly tied: boolean } | undefined {
  if (a.host !== b.host) return undefined;
  const shared = Math.min(a.segments.length, b.segments.length);
  let bindingA: Binding | undefined;
  let bindingB: Binding | undefined;
  let tied = false;
  for (let index = 0; index < shared; index += 1) {
    const isA = index === a.placeholder;
    const isB = index === b.placeholder;
    const segmentA = a.segments[index] as string;
    const segmentB = b.segments[index] as string;
    if (isA && isB) tied = true;
    else if (isA) {
      if (!isModelName(segmentB)) return undefined;
      bindingA = { name: segmentB };
    } else if (isB) {
      if (!isModelName(segmentA)) return undefined;
      bindingB = { name: segmentA };
    } else if (segmentA !== segmentB) return undefined;
  }
  if (a.placeholder >= shared) bindingA = { free: true };
  if (b.placeholder >= shared) bindingB = { free: true };
  return { ...(bindingA ? { a: bindingA } : {}), ...(bindingB ? { b: bindingB } : {}), tied };
}

const givesOnly = (binding: Binding | undefined, model: string): boolean => binding !== undefined && 'name' in binding && binding.name === model;

function checkUrlRules(rules: readonly UrlRule[], source: string): void {
  const patterns = rules.filter((rule) => rule.placeholder >= 0);
  for (const pattern of patterns) {
    for (const other of rules) {
      if (other === pattern) continue;
      const overlap = urlOverlap(other, pattern);
      if (!overlap) continue;
      if (other.placeholder < 0) {
        throw new BackendRuleError(`${source}: the shared entry '${other.text}' overlaps the per-model pattern '${pattern.text}', so every model could reach what the pattern reserves for one; narrow the shared entry's path, or drop it`);
      }
      const same = overlap.tied || ('name' in (overlap.a ?? { free: true }) && 'name' in (overlap.b ?? { free: true }) && (overlap.a as { name: string }).name === (overlap.b as { name: string }).name);
      if (!same) throw new BackendRuleError(`${source}: the per-model patterns '${other.text}' and '${pattern.text}' overlap, so one model could reach another's address; keep them apart`);
    }
  }
}

function checkEndpointRules(rules: readonly EndpointRule[], source: string): void {
  const patterns = rules.filter((rule) => rule.perModel);
  for (const pattern of patterns) {
    for (const other of rules) {
      if (other === pattern) continue;
      if (other.any) throw new BackendRuleError(`${source}: '*' (any endpoint) overlaps the per-model pattern '${pattern.text}', so every model could reach what the pattern reserves for one`);
      if (!other.perModel) {
        const binding = endpointBinding(pattern, other.text);
        if (binding !== undefined && isModelName(binding)) {
          throw new BackendRuleError(`${source}: the shared endpoint '${other.text}' falls under the per-model pattern '${pattern.text}' (model '${binding}''s), so every model could reach it; rename one of them`);
        }
        continue;
      }
      const [p1, s1, p2, s2] = [pattern.prefix, pattern.suffix, other.prefix, other.suffix].map((part) => part.toLowerCase()) as [string, string, string, string];
      if (p1 === p2 && s1 === s2) continue;
      if ((p1.startsWith(p2) || p2.startsWith(p1)) && (s1.endsWith(s2) || s2.endsWith(s1))) {
        throw new BackendRuleError(`${source}: the per-model patterns '${other.text}' and '${pattern.text}' overlap, so one model could reach another's endpoint; keep them apart`);
      }
    }
  }
}

const ASSIGNMENT_EXAMPLE = '{"mnist": {"owner": "<user id>", "backends": ["mnist-prod", "https://tfs.example.org/v1/models/mnist"]}}';

function parseAssignments(raw: Readonly<Record<string, unknown>>, source: string): Map<string, Assigned> {
  const assignments = new Map<string, Assigned>();
  for (const [model, value] of Object.entries(raw)) {
    if (!isModelName(model)) throw new BackendRuleError(`${source}: '${model}' is not a model name`);
    if (Array.isArray(value)) {
      // The form before owners: a list alone would follow the model's name to whoever creates it next.
      throw new BackendRuleError(`${source}: model '${model}': an assignment now needs the owner's user id, as names are reused after a model is deleted: write {"owner": "<user id>", "backends": [...]} instead of the list, as in ${ASSIGNMENT_EXAMPLE}`);
    }
    if (!value || typeof value !== 'object') throw new BackendRuleError(`${source}: model '${model}': expected {"owner": "<user id>", "backends": [...]}, as in ${ASSIGNMENT_EXAMPLE}`);
    const { owner, backends, ...rest } = value as Record<string, unknown>;
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0) throw new BackendRuleError(`${source}: model '${model}': unknown field ${unknownKeys.map((key) => `"${key}"`).join(', ')}; an assignment has "owner" and "backends"`);
    if (typeof owner !== 'string' || owner.trim() === '') throw new BackendRuleError(`${source}: model '${model}': "owner" must be the user id of the model's owner, as GET /me shows it`);
    if (!Array.isArray(backends) || backends.length === 0) throw new BackendRuleError(`${source}: model '${model}': "backends" must be a non-empty array of endpoint names and URLs`);
    const urls: UrlRule[] = [];
    const endpoints: string[] = [];
    for (const entry of backends as readonly unknown[]) {
      if (typeof entry !== 'string') throw new BackendRuleError(`${source}: model '${model}': expected endpoint names and URLs as strings, got ${JSON.stringify(entry)}`);
      try {
        if (/^https?:\/\//i.test(entry.trim())) urls.push(parseUrlRule(entry, false));
        else if (isSageMakerEndpointName(entry.trim())) endpoints.push(entry.trim());
        else throw new BackendRuleError(`'${entry}' is neither a SageMaker endpoint name nor an http(s) URL`);
      } catch (error) {
        if (error instanceof BackendRuleError) throw new BackendRuleError(`${source}: model '${model}': ${error.message}`);
        throw error;
      }
    }
    assignments.set(model, { owner, urls, endpoints });
  }
  return assignments;
}

function checkAssignments(rules: BackendRules, sources: BackendRuleSources): void {
  for (const [model, assigned] of rules.assignments) {
    for (const url of assigned.urls) {
      for (const pattern of rules.urls.filter((rule) => rule.placeholder >= 0)) {
        const overlap = urlOverlap(url, pattern);
        if (overlap && !givesOnly(overlap.b, model)) {
          throw new BackendRuleError(`${sources.assignments}: '${url.text}', assigned to model '${model}', covers what '${pattern.text}' (${sources.urls}) reserves for other models`);
        }
      }
    }
    for (const endpoint of assigned.endpoints) {
      for (const pattern of (rules.endpoints ?? []).filter((rule) => rule.perModel)) {
        const binding = endpointBinding(pattern, endpoint);
        if (binding !== undefined && isModelName(binding) && binding !== model) {
          throw new BackendRuleError(`${sources.assignments}: '${endpoint}', assigned to model '${model}', is what '${pattern.text}' (${sources.endpoints}) reserves for model '${binding}'`);
        }
      }
    }
  }
}

function withSource<T>(source: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof BackendRuleError) throw new BackendRuleError(`${source}: ${error.message}`);
    throw error;
  }
}

/** Reads and cross-checks the rules. Throws BackendRuleError naming the source and the entry at fault. */
export function compileBackendRules(input: BackendRuleInput, sources: BackendRuleSources): BackendRules {
  const urls = input.urls.map((text) => withSource(sources.urls, () => parseUrlRule(text, true)));
  const endpoints = input.endpoints?.map((text) => withSource(sources.endpoints, () => parseEndpointRule(text)));
  checkUrlRules(urls, sources.urls);
  if (endpoints) checkEndpointRules(endpoints, sources.endpoints);
  const rules: BackendRules = { urls, ...(endpoints ? { endpoints } : {}), assignments: parseAssignments(input.assignments, sources.assignments) };
  checkAssignments(rules, sources);
  return rules;
}

/** The assignment for the model, if its record's owner is the one the assignment names. */
function assignedTo(model: ModelRef, rules: BackendRules): Assigned | undefined {
  const assigned = rules.assignments.get(model.name);
  return assigned !== undefined && model.owner !== undefined && assigned.owner === model.owner ? assigned : undefined;
}

function endpointAccess(ref: ModelRef, endpoint: string, rules: BackendRules): BackendAccess {
  const model = ref.name;
  if (!rules.endpoints) return { allowed: true, via: 'shared' };
  const patterns = rules.endpoints.filter((rule) => rule.perModel);
  if (patterns.some((rule) => {
    const binding = endpointBinding(rule, endpoint);
    return binding !== undefined && isModelName(binding) && binding !== model;
  })) return { allowed: false, reason: 'reserved' };
  if (patterns.some((rule) => `${rule.prefix}${model}${rule.suffix}` === endpoint)) return { allowed: true, via: 'own' };
  if (rules.endpoints.some((rule) => !rule.perModel && (rule.any || rule.text === endpoint))) return { allowed: true, via: 'shared' };
  if (assignedTo(ref, rules)?.endpoints.includes(endpoint)) return { allowed: true, via: 'assigned' };
  return { allowed: false, reason: 'unlisted' };
}

function addressAccess(ref: ModelRef, addressText: string, rules: BackendRules): BackendAccess {
  const model = ref.name;
  const address = parseAddress(addressText);
  if (!address) return { allowed: false, reason: 'unsafe' };
  const reserving = rules.urls.filter((rule) => rule.placeholder >= 0).map((rule) => matchUrl(rule, address, true)?.binding);
  if (reserving.some((binding) => binding !== undefined && isModelName(binding) && binding !== model)) return { allowed: false, reason: 'reserved' };
  const matches = rules.urls.map((rule) => ({ rule, match: matchUrl(rule, address) })).filter((found) => found.match !== undefined);
  if (matches.some(({ rule, match }) => rule.placeholder >= 0 && match?.binding === model)) return { allowed: true, via: 'own' };
  if (matches.some(({ rule }) => rule.placeholder < 0)) return { allowed: true, via: 'shared' };
  if (assignedTo(ref, rules)?.urls.some((rule) => matchUrl(rule, address) !== undefined)) return { allowed: true, via: 'assigned' };
  return { allowed: false, reason: 'unlisted' };
}

/**
 * Whether the model may use the backend its own `meta.backend` names, by the rules above: its
 * name decides patterns, its name and owner assignments. Undefined for a spec that reaches no
 * endpoint or URL (the built-in ONNX Runtime).
 */
export function backendAccess(model: ModelRef, spec: BackendSpec, rules: BackendRules): BackendAccess | undefined {
  if (spec.kind === 'sagemaker') return endpointAccess(model, spec.endpoint, rules);
  const address = modelAddress(spec);
  return address === undefined ? undefined : addressAccess(model, address, rules);
}

/** Whether a URL falls under a shared URL entry, as a model address would (backendAccess). */
export function urlAllowed(url: string, allowList: readonly string[]): boolean {
  const rules = compileBackendRules({ urls: allowList.filter((entry) => URL_ENTRY.test(entry.trim())), assignments: {} }, { urls: 'allow-list', endpoints: 'endpoints', assignments: 'assignments' });
  const address = parseAddress(url);
  return address !== undefined && rules.urls.some((rule) => rule.placeholder < 0 && matchUrl(rule, address) !== undefined);
}
