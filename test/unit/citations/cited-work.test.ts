import { describe, expect, it } from 'vitest';
import { citationSettings } from '../../../functions/citations/citation-settings';
import { citedWork } from '../../../functions/citations/cited-work';
import { PUBLISHING_ENV } from '../../../functions/publishing/publishing-config';
import { CONTEXT, MODEL, UNPUBLISHED_VERSIONS, VERSIONS } from './citation-fixtures';

describe('what a citation cites', () => {
  it('a published version: its version DOI, as published, issued when publishing was asked for (as its DOI record says)', () => {
    expect(citedWork(MODEL, VERSIONS, 2, CONTEXT)).toMatchObject({
      kind: 'version', version: 2, doi: '10.5072/mlhub.digits/v2', url: 'https://doi.org/10.5072/mlhub.digits/v2',
      landingUrl: 'https://hub.example.org/model/digits/versions/2', issued: '2025-05-02T08:00:00.000Z', publisher: 'MLHub Test',
    });
  });

  it('the model: its concept DOI, described by the newest published version, issued with the first, without a version', () => {
    const work = citedWork(MODEL, VERSIONS, undefined, CONTEXT);
    expect(work).toMatchObject({ kind: 'concept', doi: '10.5072/mlhub.digits', landingUrl: 'https://hub.example.org/model/digits', issued: '2025-04-02T08:00:00.000Z' });
    expect(work.version).toBeUndefined();
    expect(work.snapshot.version).toBe(2);
    expect(work.withdrawn).toBeUndefined();
  });

  it('the model with every published version withdrawn: its concept DOI, withdrawn with the last of them', () => {
    const withdrawnOnly = VERSIONS.filter((version) => version.version !== 2);
    expect(citedWork(MODEL, withdrawnOnly, undefined, CONTEXT)).toMatchObject({
      kind: 'concept', doi: '10.5072/mlhub.digits', withdrawn: { date: '2025-09-01T00:00:00.000Z', reason: 'Trained on mislabelled data' },
    });
  });

  it('a withdrawn version: its DOI, with when and why', () => {
    expect(citedWork(MODEL, VERSIONS, 1, CONTEXT)).toMatchObject({ kind: 'version', doi: '10.5072/mlhub.digits/v1', withdrawn: { date: '2025-09-01T00:00:00.000Z', reason: 'Trained on mislabelled data' } });
  });

  it('a model or version without a DOI: its page, read now, as the model reads now', () => {
    expect(citedWork(MODEL, UNPUBLISHED_VERSIONS, undefined, CONTEXT)).toMatchObject({ kind: 'unpublished', url: 'https://hub.example.org/model/digits', issued: MODEL.updatedAt, accessed: CONTEXT.now });
    expect(citedWork(MODEL, VERSIONS, 3, CONTEXT)).toMatchObject({ kind: 'unpublished', version: 3, url: 'https://hub.example.org/model/digits/versions/3', accessed: CONTEXT.now });
  });

  it('encodes the name in the landing page URL', () => {
    expect(citedWork({ ...MODEL, name: 'team/digits' }, UNPUBLISHED_VERSIONS, undefined, CONTEXT).url).toBe('https://hub.example.org/model/team%2Fdigits');
  });
});

describe('citation settings', () => {
  it('take the publisher and landing base the publishing settings name', () => {
    expect(citationSettings({ [PUBLISHING_ENV.publisher]: 'Uni Hub', [PUBLISHING_ENV.landingBaseUrl]: 'https://hub.example.org/' }, 'abc.execute-api.eu-west-1.amazonaws.com'))
      .toEqual({ publisher: 'Uni Hub', landingBaseUrl: 'https://hub.example.org/' });
  });

  it('default to MLHub, and to the API\'s own address as the request reached it', () => {
    expect(citationSettings({}, 'abc.execute-api.eu-west-1.amazonaws.com')).toEqual({ publisher: 'MLHub', landingBaseUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/' });
    expect(citationSettings({ [PUBLISHING_ENV.landingBaseUrl]: 'not a url' }, 'abc.example').landingBaseUrl).toBe('https://abc.example/');
  });
});
