import { describe, expect, it } from 'vitest';
import { listModels } from '../../../functions/contracts/model-contracts';
import { parseRequestPart } from '../../../functions/contracts/request-errors';
import { isAppError } from '../../../functions/errors/app-error';
import { checkQueryNames } from '../../../functions/http/query-params';
import { routeById } from '../../../functions/routes/route-table';
import { isoInstant, isSearch, SEARCH_PARAMETERS, toSearchQuery } from '../../../functions/search/search-query';

/** GET /models's query as the route handler reads it: names checked, then the contract, then the search. */
function read(raw: Record<string, string>) {
  checkQueryNames(routeById('listModels'), raw, {});
  const parsed = parseRequestPart('query', listModels.query, raw, raw);
  return toSearchQuery(parsed, 50);
}

function refusal(raw: Record<string, string>): { code: string; message: string; status: number } {
  try {
    read(raw);
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message, status: error.kind === 'invalid' ? 400 : 0 };
    throw error;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe('GET /models query parameters -> SearchQuery', () => {
  it('the route reads every search parameter, and a search is any of them', () => {
    for (const name of SEARCH_PARAMETERS) expect(routeById('listModels').query).toContain(name);
    expect(isSearch({ limit: 5, cursor: 'c', mine: true })).toBe(false);
    for (const name of SEARCH_PARAMETERS) expect(isSearch({ [name]: 'x' })).toBe(true);
  });

  it('defaults: relevance with q, updated without; desc, asc for name; the listing page size', () => {
    expect(read({ q: 'digit' })).toEqual({ q: 'digit', filters: {}, sort: 'relevance', direction: 'desc', limit: 50 });
    expect(read({ author: 'Ada' })).toEqual({ filters: { author: 'Ada' }, sort: 'updated', direction: 'desc', limit: 50 });
    expect(read({ sort: 'name' })).toMatchObject({ sort: 'name', direction: 'asc' });
    expect(read({ sort: 'downloads', direction: '-1' })).toMatchObject({ sort: 'downloads', direction: 'desc' });
    expect(read({ sort: 'NAME', direction: '1' })).toMatchObject({ sort: 'name', direction: 'asc' });
  });

  it('reads every filter, aliases included, with limit, cursor and mine', () => {
    expect(read({
      q: ' digits ', author: 'Ada Lovelace', owner: 'ada', framework: 'onnx', task: 'image-classification', license: 'MIT',
      tag: 'mnist', discipline: 'Computer science', published: 'true', has_doi: 'false', updated_since: '2026-01-31',
      limit: '10', cursor: 'abc', mine: '1',
    })).toEqual({
      q: 'digits',
      filters: {
        author: 'Ada Lovelace', owner: 'ada', framework: 'ONNX', task: 'image-classification', license: 'mit', keyword: 'mnist',
        discipline: 'Computer science', published: true, hasDoi: false, updatedSince: '2026-01-31T00:00:00.000Z', mine: true,
      },
      sort: 'relevance', direction: 'desc', limit: 10, cursor: 'abc',
    });
    expect(read({ type: 'tf' }).filters.framework).toBe('TensorFlow');
    expect(read({ framework: 'xgb' }).filters.framework).toBe('XGBoost');
    expect(read({ type: 'sklearn', framework: 'ScikitLearn' }).filters.framework).toBe('ScikitLearn');
    expect(read({ keyword: 'MNIST', tag: 'mnist' }).filters.keyword).toBe('MNIST');
    expect(read({ updated_since: '2026-01-31T12:00:00+02:00' }).filters.updatedSince).toBe('2026-01-31T10:00:00.000Z');
  });

  it("reads the Hugging Face Hub's names as aliases: search, library, pipeline_tag, sort=lastModified/createdAt", () => {
    expect(read({ search: 'digits' })).toEqual({ q: 'digits', filters: {}, sort: 'relevance', direction: 'desc', limit: 50 });
    expect(read({ q: 'Digits', search: 'digits' }).q).toBe('Digits');
    expect(read({ library: 'xgboost', pipeline_tag: 'regression' }).filters).toEqual({ framework: 'XGBoost', task: 'regression' });
    expect(read({ framework: 'sklearn', library: 'scikit-learn', task: 'a', pipeline_tag: 'A' }).filters).toEqual({ framework: 'ScikitLearn', task: 'a' });
    expect(read({ sort: 'lastModified', direction: '-1' })).toMatchObject({ sort: 'updated', direction: 'desc' });
    expect(read({ sort: 'createdAt' }).sort).toBe('created');
  });

  it('a comma is part of a value: repeats are refused before (checkQueryRepeats), not joined', () => {
    expect(refusal({ sort: 'name,name' })).toMatchObject({ code: 'invalid_sort', message: "Query parameter 'sort' must be one of 'relevance', 'updated', 'created', 'name', 'downloads', 'predictions' (or the Hugging Face Hub's 'lastModified', 'createdAt'), got 'name,name'" });
    expect(refusal({ framework: 'onnx,onnx' }).code).toBe('invalid_framework');
    expect(read({ author: 'Lovelace, Ada' }).filters.author).toBe('Lovelace, Ada');
    // As the record takes an ORCID iD: its URL is the bare iD the record stores.
    expect(read({ author: 'https://orcid.org/0000-0002-1825-0097' }).filters.author).toBe('0000-0002-1825-0097');
    // Every URL form the record takes reads as the bare iD too (review 13c F3).
    for (const form of ['http://orcid.org/0000-0002-1825-0097', 'https://orcid.org/0000-0002-1825-0097/', 'HTTPS://ORCID.ORG/0000-0002-1825-0097', 'https://www.orcid.org/0000-0002-1825-0097', 'https://orcid.org/0000-0002-1694-233x']) {
      expect(read({ author: form }).filters.author, form).toMatch(/^0000-0002-(1825-0097|1694-233X)$/);
    }
    expect(read({ q: 'digits, mnist' }).q).toBe('digits, mnist');
  });

  it.each([
    [{ q: '' }, 'invalid_q', "Query parameter 'q' must not be empty, got ''"],
    [{ q: 'x'.repeat(501) }, 'invalid_q', "Query parameter 'q' must be at most 500 characters"],
    [{ q: 'a\u202Eb' }, 'invalid_q', "Query parameter 'q' must not contain control, format or line-separator characters, got 'a\\u{202E}b'"],
    [{ author: '' }, 'invalid_author', "Query parameter 'author' must not be empty"],
    [{ author: '0000-0002-1825-0098' }, 'invalid_author', "Query parameter 'author' has a wrong check digit (ISO 7064 MOD 11-2): check the ORCID iD"],
    [{ author: 'http://orcid.org/0000-0002-1825-0098/' }, 'invalid_author', "Query parameter 'author' has a wrong check digit"],
    [{ author: 'https://orcid.org/Ada' }, 'invalid_author', "Query parameter 'author' must be an ORCID iD such as 0000-0002-1825-0097"],
    [{ owner: 'o'.repeat(201) }, 'invalid_owner', "Query parameter 'owner' must be at most 200 characters"],
    [{ type: 'caffe' }, 'invalid_type', "Query parameter 'type' must be a model type: one of TensorFlow, PyTorch, Keras, ScikitLearn, XGBoost, ONNX (any case; tf, torch, sklearn… too), got 'caffe'"],
    [{ framework: 'caffe' }, 'invalid_framework', "Query parameter 'framework' must be a model type"],
    [{ type: 'onnx', framework: 'pytorch' }, 'invalid_framework', "Query parameters 'type' and 'framework' are aliases and differ ('ONNX', 'PyTorch'); give one"],
    [{ keyword: 'a', tag: 'b' }, 'invalid_tag', "Query parameters 'keyword' and 'tag' are aliases and differ ('a', 'b'); give one"],
    [{ license: 'MIT License' }, 'invalid_license', "Query parameter 'license' must be an SPDX license id (such as MIT or CC-BY-4.0), got 'MIT License'"],
    [{ task: '\n' }, 'invalid_task', "Query parameter 'task' must not contain control"],
    [{ discipline: ' ' }, 'invalid_discipline', "Query parameter 'discipline' must not be empty"],
    [{ keyword: '' }, 'invalid_keyword', "Query parameter 'keyword' must not be empty"],
    [{ tag: '' }, 'invalid_tag', "Query parameter 'tag' must not be empty"],
    [{ published: 'yes' }, 'invalid_published', "Query parameter 'published' must be true or false, got 'yes'"],
    [{ has_doi: '' }, 'invalid_has_doi', "Query parameter 'has_doi' must be true or false, got ''"],
    [{ updated_since: 'yesterday' }, 'invalid_updated_since', "Query parameter 'updated_since' must be an ISO 8601 date (2026-01-31) or date-time with a zone (2026-01-31T12:00:00Z), got 'yesterday'"],
    [{ updated_since: '2026-02-30' }, 'invalid_updated_since', "Query parameter 'updated_since' must be an ISO 8601 date"],
    [{ updated_since: '2026-01-31T12:00' }, 'invalid_updated_since', "Query parameter 'updated_since' must be an ISO 8601 date"],
    [{ sort: 'stars' }, 'invalid_sort', "Query parameter 'sort' must be one of 'relevance', 'updated', 'created', 'name', 'downloads', 'predictions' (or the Hugging Face Hub's 'lastModified', 'createdAt'), got 'stars'"],
    [{ sort: 'relevance' }, 'invalid_sort', "Query parameter 'sort' is 'relevance', which ranks by q; give q, or another sort"],
    [{ direction: 'up' }, 'invalid_direction', "Query parameter 'direction' must be 'asc' or 'desc' (or the Hugging Face Hub's 1 or -1), got 'up'"],
    [{ q: 'x', limit: '101' }, 'invalid_limit', "Query parameter 'limit' must be a whole number from 1 to 100, got '101'"],
    [{ q: 'x', limit: '0' }, 'invalid_limit', "Query parameter 'limit'"],
    [{ q: 'x', search: 'y' }, 'invalid_search', "Query parameters 'q' and 'search' are aliases and differ ('x', 'y'); give one"],
    [{ framework: 'onnx', library: 'xgboost' }, 'invalid_library', "Query parameters 'framework' and 'library' are aliases and differ ('ONNX', 'XGBoost'); give one"],
    [{ type: 'onnx', framework: 'onnx', library: 'keras' }, 'invalid_library', "Query parameters 'type' and 'library' are aliases and differ ('ONNX', 'Keras')"],
    [{ task: 'regression', pipeline_tag: 'image-classification' }, 'invalid_pipeline_tag', "Query parameters 'task' and 'pipeline_tag' are aliases and differ"],
    [{ library: 'caffe' }, 'invalid_library', "Query parameter 'library' must be a model type"],
    [{ q: 'x', filter: 'y' }, 'unknown_query_parameter', "Unknown query parameter 'filter' for GET /models"],
  ])('%j is a 400 %s naming the field', (raw, code, message) => {
    const refused = refusal(raw as Record<string, string>);
    expect(refused.code).toBe(code);
    expect(refused.status).toBe(400);
    expect(refused.message.startsWith(message), refused.message).toBe(true);
  });

  it('isoInstant: dates and date-times that name a real instant, as the table writes instants', () => {
    expect(isoInstant('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(isoInstant('2025-02-29')).toBeUndefined();
    expect(isoInstant('2026-13-01')).toBeUndefined();
    expect(isoInstant('2026-01-31t23:59:59.5z')).toBe('2026-01-31T23:59:59.500Z');
    expect(isoInstant('2026-01-31T24:00:00Z')).toBeUndefined();
    expect(isoInstant('20260131')).toBeUndefined();
  });
});
