import { describe, expect, it } from 'vitest';
import type { Item } from '../../../functions/store/dynamo-items';
import { searchDocumentOf } from '../../../functions/search/search-document';

/** The items of one model's partition as the table holds them (keys and index keys included). */
const meta = (fields: Item = {}): Item => ({
  PK: 'MODEL#digits', SK: 'META', kind: 'model', GSI1PK: 'OWNER#ada', GSI1SK: '2026-01-01T00:00:00.000Z#digits',
  name: 'digits', type: 'ONNX', meta: '{"layers":3}', owner: 'ada', visibility: 'public',
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z', revision: 3, versionCounter: 2, state: 'active',
  ...fields,
});
const version = (n: number, publication?: Item, status = 'ready'): Item => ({
  PK: 'MODEL#digits', SK: `VER#${String(n).padStart(10, '0')}`, name: 'digits', version: n, status,
  ...(publication ? { publication: { doi: `10.5072/mlhub.digits/v${n}`, conceptDoi: '10.5072/mlhub.digits', requestedAt: '2026-01-02T00:00:00.000Z', requestedBy: 'ada', ...publication } } : {}),
});
const grant = (user: string, role = 'read'): Item => ({ PK: 'MODEL#digits', SK: `GRANT#${user}`, kind: 'grant', GSI1PK: `SHARED#${user}`, modelName: 'digits', user, role, grantedAt: 'x', grantedBy: 'ada' });

describe('searchDocumentOf: a model\'s items as the search index holds them', () => {
  it('takes the searched, filtered and sorted fields from the record, with empty lists and zero counters when it has none', () => {
    expect(searchDocumentOf([meta()])).toEqual({
      name: 'digits', keywords: [], authors: [], type: 'ONNX', framework: 'ONNX', owner: 'ada', visibility: 'public', grantees: [],
      published: false, hasDoi: false, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z', downloads: 0, predictions: 0,
    });
  });

  it('carries the scholarly metadata: title, description, keywords, authors with their ORCID iDs only, discipline, task, license, latest version', () => {
    const document = searchDocumentOf([meta({
      title: 'Digit recognizer', description: 'Reads handwritten digits', keywords: ['mnist', 'vision'], discipline: 'Computer science', task: 'image-classification', license: 'MIT', latestVersion: 2,
      authors: [{ name: 'Ada Lovelace', orcid: '0000-0002-1825-0097', role: 'creator', affiliation: { name: 'Analytical Engines' } }, { name: 'MLHub Lab', name_type: 'Organizational', role: 'creator' }],
    })]);
    expect(document).toMatchObject({
      title: 'Digit recognizer', description: 'Reads handwritten digits', keywords: ['mnist', 'vision'], discipline: 'Computer science', task: 'image-classification', license: 'MIT', latestVersion: 2,
      authors: [{ name: 'Ada Lovelace', orcid: '0000-0002-1825-0097' }, { name: 'MLHub Lab' }],
    });
  });

  it('trims a discipline stored with spaces around it (before input trimmed it), so the facet value is one the filter finds (review 13c F2)', () => {
    expect(searchDocumentOf([meta({ discipline: ' spaced ' })])?.discipline).toBe('spaced');
    expect(searchDocumentOf([meta({ discipline: '   ' })])).not.toHaveProperty('discipline');
  });

  it('is none for a model being deleted, deleted or withdrawn, and for items with no record', () => {
    for (const state of ['deleting', 'deleted', 'withdrawn']) expect(searchDocumentOf([meta({ state }), grant('bob')]), state).toBeUndefined();
    expect(searchDocumentOf([grant('bob'), version(1)])).toBeUndefined();
    expect(searchDocumentOf([])).toBeUndefined();
  });

  it('indexes the owner, the visibility and every grantee, whatever their role, once each and in order', () => {
    const document = searchDocumentOf([grant('carol', 'write'), meta({ visibility: 'private' }), grant('bob')]);
    expect(document).toMatchObject({ owner: 'ada', visibility: 'private', grantees: ['bob', 'carol'] });
  });

  it('reads the usage counters of the USAGE item, 0 for a counter missing or not a count', () => {
    expect(searchDocumentOf([meta(), { PK: 'MODEL#digits', SK: 'USAGE', downloads: 12, predictions: 340 }])).toMatchObject({ downloads: 12, predictions: 340 });
    expect(searchDocumentOf([meta(), { PK: 'MODEL#digits', SK: 'USAGE', downloads: 5 }])).toMatchObject({ downloads: 5, predictions: 0 });
    expect(searchDocumentOf([meta(), { PK: 'MODEL#digits', SK: 'USAGE', downloads: 'many', predictions: -1 }])).toMatchObject({ downloads: 0, predictions: 0 });
  });

  it('is published with the newest published version\'s DOI, and has the concept DOI, as the model\'s page says', () => {
    const document = searchDocumentOf([meta(), version(1, { state: 'published' }), version(2, { state: 'published' }), version(3, { state: 'publishing' })]);
    expect(document).toMatchObject({ published: true, hasDoi: true, doi: '10.5072/mlhub.digits/v2', conceptDoi: '10.5072/mlhub.digits' });
  });

  it('keeps the concept DOI once its only published version is withdrawn, but is no longer published', () => {
    const document = searchDocumentOf([meta(), version(1, { state: 'withdrawn' }, 'deleted'), version(2)]);
    expect(document).toMatchObject({ published: false, hasDoi: true, conceptDoi: '10.5072/mlhub.digits' });
    expect(document?.doi).toBeUndefined();
  });

  it('has no DOI while a publication is only asked for, or failed', () => {
    for (const state of ['publishing', 'publish_failed']) {
      const document = searchDocumentOf([meta(), version(1, { state })]);
      expect(document, state).toMatchObject({ published: false, hasDoi: false });
      expect(document?.conceptDoi, state).toBeUndefined();
    }
  });

  it('ignores upload sessions and items it does not know', () => {
    expect(searchDocumentOf([meta(), { PK: 'MODEL#digits', SK: 'UPLOAD#abc', status: 'open' }, { PK: 'MODEL#digits', SK: 'SOMETHING', owner: 'mallory' }])).toEqual(searchDocumentOf([meta()]));
  });

  it("filters and facets by the framework detected in the newest ready bundle (as the serving path reads it), else the declared type", () => {
    const files = (...paths: string[]) => ({ files: paths.map((path) => ({ path, size: 1 })) });
    const bundle = (n: number, manifest: Item, status = 'ready'): Item => ({ ...version(n, undefined, status), manifest });
    const framework = (type: string, ...versions: Item[]) => searchDocumentOf([meta({ type }), ...versions]);
    // An XGBoost booster declared as scikit-learn, as the fresh-eyes review found it faceted.
    expect(framework('ScikitLearn', bundle(1, files('iris-xgb/model.ubj', 'labels.txt')))).toMatchObject({ type: 'ScikitLearn', framework: 'XGBoost' });
    expect(framework('PyTorch', bundle(1, files('model.joblib')))).toMatchObject({ type: 'PyTorch', framework: 'ScikitLearn' });
    expect(framework('TensorFlow', bundle(1, { ...files('mnist.onnx'), builtinRuntime: { runnable: true, modelFiles: ['mnist.onnx'] } }))?.framework).toBe('ONNX');
    // Too large for the predict function's model cache is still ONNX: the size says where it runs, not what it is.
    expect(framework('PyTorch', bundle(1, { ...files('big.onnx'), builtinRuntime: { runnable: false, reason: 'too big', modelFiles: ['big.onnx'] } }))?.framework).toBe('ONNX');
    // The newest ready version decides; a pending or rejected one after it does not.
    expect(framework('ONNX', bundle(1, files('old.joblib')), bundle(2, files('new.ubj')), bundle(3, files('x.pt'), 'rejected'))?.framework).toBe('XGBoost');
    // A declaration the bundle agrees with stands as written; no detection keeps the declared type.
    expect(framework('Keras', bundle(1, files('1/saved_model.pb')))?.framework).toBe('Keras');
    expect(framework('Keras', bundle(1, files('weights.bin')))?.framework).toBe('Keras');
    expect(framework('XGBoost')?.framework).toBe('XGBoost');
    expect(framework('ONNX', bundle(1, files('a.joblib', 'b.ubj')))?.framework).toBe('ONNX');
  });
});
