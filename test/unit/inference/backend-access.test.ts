import { describe, expect, it } from 'vitest';
import { backendAccess, BackendRuleError, compileBackendRules, type BackendRuleInput } from '../../../functions/inference/backend-access';
import { parseBackendSpec } from '../../../functions/inference/backend-spec';

const SOURCES = { urls: 'URLS', endpoints: 'ENDPOINTS', assignments: 'ASSIGNMENTS' };
const rules = (input: Partial<BackendRuleInput>) => compileBackendRules({ urls: [], assignments: {}, ...input }, SOURCES);

/** What model `model` (owned by `owner`) gets for the backend its meta.backend names: 'own', 'shared', 'assigned', or the reason it is refused. */
function verdict(model: string, backend: unknown, input: Partial<BackendRuleInput>, owner = 'olive'): string | undefined {
  const access = backendAccess({ name: model, owner }, parseBackendSpec(backend, model), rules(input));
  return access && (access.allowed ? access.via : access.reason);
}

const sagemaker = (endpoint: string) => ({ kind: 'sagemaker', endpoint });
const tfserving = (url: string, model?: string) => ({ kind: 'tfserving', url, ...(model === undefined ? {} : { model }) });

describe('SageMaker endpoints under a per-model pattern', () => {
  const input = { endpoints: ['mlhub-torch-{model}', 'shared-ep'] };

  it.each([
    ['a', 'mlhub-torch-a', 'own'],
    ['a', 'mlhub-torch-{model}', 'own'],
    ['a-b', 'mlhub-torch-a-b', 'own'],
    // Prefix overlap: `a` must not reach `a-b`'s endpoint, nor `a-b` reach `a`'s.
    ['a', 'mlhub-torch-a-b', 'reserved'],
    ['a-b', 'mlhub-torch-a', 'reserved'],
    ['a', 'mlhub-torch-b', 'reserved'],
    // Names are case-sensitive: `A` is another model; a case variant of one's own is not listed.
    ['a', 'mlhub-torch-A', 'reserved'],
    ['a', 'MLHUB-TORCH-b', 'reserved'],
    ['a', 'MLHUB-TORCH-a', 'unlisted'],
    ['a', 'shared-ep', 'shared'],
    ['a', 'other-ep', 'unlisted'],
  ])('model %s naming %s: %s', (model, endpoint, expected) => {
    expect(verdict(model, sagemaker(endpoint), input)).toBe(expected);
  });

  it('takes any endpoint when no list is configured, and none when the list is empty', () => {
    expect(verdict('a', sagemaker('anything'), {})).toBe('shared');
    expect(verdict('a', sagemaker('anything'), { endpoints: [] })).toBe('unlisted');
    expect(verdict('a', sagemaker('anything'), { endpoints: ['*'] })).toBe('shared');
  });

  it('gives an assigned endpoint to its model only, while its owner is the one assigned', () => {
    const assigned = { ...input, assignments: { a: { owner: 'olive', backends: ['team-a-ep'] } } };
    expect(verdict('a', sagemaker('team-a-ep'), assigned, 'olive')).toBe('assigned');
    expect(verdict('b', sagemaker('team-a-ep'), assigned, 'olive')).toBe('unlisted');
    // Names are reused after DELETE: another owner's model of the name gets nothing from it.
    expect(verdict('a', sagemaker('team-a-ep'), assigned, 'carol')).toBe('unlisted');
    expect(backendAccess({ name: 'a' }, parseBackendSpec(sagemaker('team-a-ep'), 'a'), rules(assigned))).toEqual({ allowed: false, reason: 'unlisted' });
  });
});

describe('URLs under a per-model pattern on a shared host', () => {
  const input = { urls: ['https://tfs.example.org/v1/models/{model}', 'http://shared.example.org:8501/serving'] };

  it.each([
    ['a', tfserving('https://tfs.example.org'), 'own'],
    ['a', tfserving('https://tfs.example.org', 'a'), 'own'],
    ['a', tfserving('https://tfs.example.org/', '{model}'), 'own'],
    ['a', tfserving('https://TFS.Example.org.'), 'own'],
    ['a', tfserving('https://tfs.example.org:443'), 'own'],
    ['a', tfserving('https://tfs.example.org/v1/models/a'), 'own'],
    // Another model's name, by prefix overlap, by case, or percent-encoded.
    ['a', tfserving('https://tfs.example.org', 'a-b'), 'reserved'],
    ['a-b', tfserving('https://tfs.example.org', 'a'), 'reserved'],
    ['a', tfserving('https://tfs.example.org', 'A'), 'reserved'],
    ['a', tfserving('https://tfs.example.org', 'b'), 'reserved'],
    ['a', tfserving('https://tfs.example.org/v1/models/%62'), 'reserved'],
    ['b', tfserving('https://tfs.example.org/v1/models/%62'), 'own'],
    ['a', tfserving('https://tfs.example.org/v1/models/a/../b'), 'reserved'],
    ['a', tfserving('https://tfs.example.org/v1/models/a/%2e%2e/b'), 'reserved'],
    // Segments a server could read as structure match nothing.
    ['a', tfserving('https://tfs.example.org/v1/models/a%2F..%2Fb'), 'unsafe'],
    ['a', tfserving('https://tfs.example.org/v1/models/a%5Cb'), 'unsafe'],
    ['a', tfserving('https://tfs.example.org//v1'), 'unsafe'],
    // Another scheme or port is not listed for one's own model...
    ['a', tfserving('http://tfs.example.org'), 'unlisted'],
    ['a', tfserving('https://tfs.example.org:8443'), 'unlisted'],
    // ...and another model's address stays reserved there: one server may answer on several.
    ['a', tfserving('http://tfs.example.org', 'b'), 'reserved'],
    ['a', tfserving('https://tfs.example.org:8443', 'b'), 'reserved'],
    ['a', tfserving('http://TFS.example.org:8080/v1/models/a-b'), 'reserved'],
    ['a', tfserving('https://tfs.example.org.evil.test'), 'unlisted'],
    ['a', tfserving('https://tfs.example.org/v2'), 'unlisted'],
    // The shared entry: by whole segments, on its port.
    ['a', tfserving('http://shared.example.org:8501/serving'), 'shared'],
    ['b', tfserving('http://shared.example.org:8501/serving', 'a'), 'shared'],
    ['a', tfserving('http://shared.example.org:8501/serving-b'), 'unlisted'],
    ['a', tfserving('http://shared.example.org:8502/serving'), 'unlisted'],
    ['a', tfserving('http://shared.example.org/serving'), 'unlisted'],
  ])('model %s naming %j: %s', (model, backend, expected) => {
    expect(verdict(model, backend, input)).toBe(expected);
  });

  it('reads each protocol at its model address', () => {
    const perProtocol = { urls: ['https://ts.example.org/predictions/{model}', 'https://oip.example.org/v2/models/{model}', 'https://tfaas.example.org/{model}'] };
    expect(verdict('a', { kind: 'torchserve', url: 'https://ts.example.org' }, perProtocol)).toBe('own');
    expect(verdict('a', { kind: 'torchserve', url: 'https://ts.example.org', model: 'a-b' }, perProtocol)).toBe('reserved');
    expect(verdict('a', { kind: 'oip', url: 'https://oip.example.org' }, perProtocol)).toBe('own');
    expect(verdict('a', { kind: 'oip', url: 'https://oip.example.org', model: 'b' }, perProtocol)).toBe('reserved');
    // TFaaS takes its model in the body: the address is the server's URL.
    expect(verdict('a', { kind: 'tfaas', url: 'https://tfaas.example.org/a' }, perProtocol)).toBe('own');
    expect(verdict('a', { kind: 'tfaas', url: 'https://tfaas.example.org/b' }, perProtocol)).toBe('reserved');
    expect(verdict('a', { kind: 'tfaas', url: 'https://tfaas.example.org' }, perProtocol)).toBe('unlisted');
  });

  it('keeps a pattern with segments after {model} to the model, at any port with :*', () => {
    const behind = { urls: ['http://127.0.0.1:*/{model}/serving'] };
    expect(verdict('a', tfserving('http://127.0.0.1:9000/a/serving'), behind)).toBe('own');
    expect(verdict('a', tfserving('http://127.0.0.1:9000/b/serving'), behind)).toBe('reserved');
    expect(verdict('a', tfserving('http://127.0.0.1:9000/a/other'), behind)).toBe('unlisted');
  });

  it('gives an assigned URL prefix to its model only, while its owner is the one assigned', () => {
    const assigned = { ...input, assignments: { a: { owner: 'olive', backends: ['https://private.example.org/a-team'] } } };
    expect(verdict('a', tfserving('https://private.example.org/a-team', 'anything'), assigned)).toBe('assigned');
    expect(verdict('b', tfserving('https://private.example.org/a-team'), assigned)).toBe('unlisted');
    expect(verdict('a', tfserving('https://private.example.org/a-team-2'), assigned)).toBe('unlisted');
    expect(verdict('a', tfserving('https://private.example.org/a-team', 'anything'), assigned, 'carol')).toBe('unlisted');
    // Assigned at its own scheme and port only, like any rule.
    expect(verdict('a', tfserving('http://private.example.org/a-team', 'anything'), assigned)).toBe('unlisted');
  });

  it('refuses model and version names the URL parser would fold away', () => {
    expect(() => parseBackendSpec(tfserving('https://tfs.example.org', '..'), 'a')).toThrow('"model" must not be ".."');
    expect(() => parseBackendSpec({ kind: 'torchserve', url: 'https://ts.example.org', version: '.' }, 'a')).toThrow('"version" must not be "."');
  });
});

describe('rules that contradict each other are refused when read', () => {
  it.each<[Partial<BackendRuleInput>, RegExp]>([
    [{ urls: ['https://tfs.example.org', 'https://tfs.example.org/v1/models/{model}'] }, /^URLS: the shared entry 'https:\/\/tfs.example.org' overlaps the per-model pattern/],
    [{ urls: ['https://tfs.example.org/v1/models/b/', 'https://tfs.example.org/v1/models/{model}'] }, /shared entry 'https:\/\/tfs.example.org\/v1\/models\/b\/' overlaps/],
    [{ urls: ['https://tfs.example.org:*/v1', 'https://tfs.example.org:8501/v1/models/{model}'] }, /shared entry/],
    [{ urls: ['https://tfs.example.org/{model}', 'https://tfs.example.org/v1/models/{model}'] }, /^URLS: the per-model patterns .* overlap/],
    [{ urls: ['https://tfs.example.org/v1/models/{model}x'] }, /must be a whole path segment/],
    [{ urls: ['https://{model}.example.org'] }, /not in the host/],
    [{ urls: ['https://tfs.example.org/v1/../models/{model}'] }, /'\.\.' segment/],
    [{ endpoints: ['mlhub-torch-{model}', 'mlhub-torch-prod'] }, /^ENDPOINTS: the shared endpoint 'mlhub-torch-prod' falls under the per-model pattern 'mlhub-torch-\{model\}' \(model 'prod''s\)/],
    [{ endpoints: ['mlhub-torch-{model}', 'MLHUB-TORCH-prod'] }, /shared endpoint 'MLHUB-TORCH-prod' falls under/],
    [{ endpoints: ['mlhub-torch-{model}', '*'] }, /'\*' \(any endpoint\) overlaps/],
    [{ endpoints: ['torch-{model}', 'torch-gpu-{model}'] }, /^ENDPOINTS: the per-model patterns .* overlap/],
    [{ endpoints: ['torch_{model}'] }, /not a SageMaker endpoint name with one \{model\}/],
    // Rules on one host overlap whatever the scheme and port: the server may answer on both.
    [{ urls: ['https://tfs.example.org/v1/models/{model}', 'http://tfs.example.org'] }, /^URLS: the shared entry 'http:\/\/tfs.example.org' overlaps the per-model pattern 'https:\/\/tfs.example.org\/v1\/models\/\{model\}'/],
    [{ urls: ['https://tfs.example.org/v1/models/{model}', 'https://tfs.example.org:8443/v1'] }, /^URLS: the shared entry 'https:\/\/tfs.example.org:8443\/v1' overlaps/],
    [{ urls: ['http://tfs.example.org:8501/v1/models/{model}', 'https://TFS.example.org./v1/models/b'] }, /shared entry 'https:\/\/TFS.example.org.\/v1\/models\/b' overlaps/],
    [{ urls: ['http://tfs.example.org:8501/{model}', 'https://tfs.example.org/v1/models/{model}'] }, /^URLS: the per-model patterns .* overlap/],
    [{ endpoints: ['mlhub-torch-{model}'], assignments: { a: { owner: 'olive', backends: ['mlhub-torch-b'] } } }, /^ASSIGNMENTS: 'mlhub-torch-b', assigned to model 'a', is what 'mlhub-torch-\{model\}' \(ENDPOINTS\) reserves for model 'b'/],
    [{ urls: ['https://tfs.example.org/v1/models/{model}'], assignments: { a: { owner: 'olive', backends: ['https://tfs.example.org/v1'] } } }, /^ASSIGNMENTS: 'https:\/\/tfs.example.org\/v1', assigned to model 'a', covers what/],
    [{ urls: ['https://tfs.example.org/v1/models/{model}'], assignments: { a: { owner: 'olive', backends: ['https://tfs.example.org/v1/models/b'] } } }, /assigned to model 'a', covers what/],
    [{ urls: ['https://tfs.example.org/v1/models/{model}'], assignments: { a: { owner: 'olive', backends: ['http://tfs.example.org:8080/v1/models/b'] } } }, /assigned to model 'a', covers what/],
    [{ assignments: { a: { owner: 'olive', backends: ['https://tfs.example.org/{model}'] } } }, /^ASSIGNMENTS: model 'a': .*has no meaning here/],
    [{ assignments: { a: { owner: 'olive', backends: ['not an endpoint'] } } }, /neither a SageMaker endpoint name nor an http\(s\) URL/],
    [{ assignments: { a: { owner: 'olive', backends: [] } } }, /^ASSIGNMENTS: model 'a': "backends" must be a non-empty array/],
    [{ assignments: { a: { backends: ['team-ep'] } as never } }, /^ASSIGNMENTS: model 'a': "owner" must be the user id of the model's owner/],
    [{ assignments: { a: { owner: 'olive', backends: ['team-ep'], team: 'x' } as never } }, /^ASSIGNMENTS: model 'a': unknown field "team"/],
    // The form before owners: a list alone would follow the name to whoever creates the model next.
    [{ assignments: { a: ['team-ep'] as never } }, /^ASSIGNMENTS: model 'a': an assignment now needs the owner's user id, as names are reused after a model is deleted: write \{"owner": "<user id>", "backends": \[\.\.\.\]\}/],
  ])('%j', (input, message) => {
    expect(() => rules(input)).toThrow(BackendRuleError);
    expect(() => rules(input)).toThrow(message);
  });

  it.each<Partial<BackendRuleInput>>([
    { urls: ['https://tfs.example.org/v1/models/{model}', 'https://tfs.example.org/v2', 'http://tfs.example.org:8080/_internal', 'http://other.example.org'] },
    { urls: ['https://tfs.example.org/v1/models/{model}', 'https://tfs.example.org/v1/models/{model}/', 'http://tfs.example.org:8501/v1/models/{model}'] },
    { endpoints: ['mlhub-torch-{model}', 'mlhub-keras-{model}', 'mlhub-shared'] },
    { endpoints: ['mlhub-torch-{model}'], assignments: { a: { owner: 'olive', backends: ['mlhub-torch-a', 'team-ep'] }, b: { owner: 'bob', backends: ['team-ep'] } } },
    { urls: ['https://tfs.example.org/v1/models/{model}'], assignments: { a: { owner: 'olive', backends: ['http://tfs.example.org/v1/models/a/versions/2'] } } },
  ])('accepts %j', (input) => {
    expect(() => rules(input)).not.toThrow();
  });
});
