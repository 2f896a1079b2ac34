import * as z from 'zod/mini';
import { ERROR_GROUPS as G, PREDICTION_ERRORS } from './error-groups';
import { ALTERNATE_CONTENT_TYPES } from '../landing/representations';
import { CITATION_FORMAT_NAMES, CITATION_FORMATS, CITATION_STYLE_NAMES, DEFAULT_CITATION_FORMAT, DEFAULT_CITATION_STYLE, STYLED_FORMATS } from '../citations/citation-formats';
import { MAX_VERSION_NUMBER } from '../versions/version-records';
import { MODEL_TYPES } from '../registry/model-type';
import { flagText, modelParams, wholeNumberText, withdrawalReasonQuery } from './parameters';
import { label } from './labels';
import { echoed } from './request-errors';
import { scholarlyFields } from './scholarly-metadata';
import { contract } from './route-contract';
import { SEARCH_PARAMETERS, searchParameters } from '../search/search-query';
import * as views from './views';

/** Listing pages hold at most this many models. */
export const MAX_PAGE = 100;

const text = (max: number) => z.optional(z.nullable(z.string({ error: 'must be a string or null' }).check(z.maxLength(max, `must be at most ${max} characters`))));
/**
 * The client's own JSON object, taken as it is: a record schema would build a new object key by
 * key, and a `__proto__` key would become its prototype instead of a key.
 */
const jsonObject = z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), { error: 'must be a JSON object or null' })
  .register(z.globalRegistry, { description: 'Any JSON object, stored and answered exactly as sent', override: { type: 'object', additionalProperties: true } });
const metaObject = z.optional(z.nullable(jsonObject));

/**
 * The fields of a model record a client writes, when creating (POST) or updating (PUT). `null`
 * clears an optional text field; `meta: null` clears meta to `{}`. The fields the service owns
 * are accepted and ignored, so that a client may send back a record it read.
 */
export const modelDocument = z.strictObject({
  model: z.optional(z.string({ error: 'must be a string' })),
  type: z.optional(z.nullable(z.string({ error: 'must be a string' })).register(z.globalRegistry, {
    description: `The framework: one of ${MODEL_TYPES.join(', ')}, or a common spelling (tf, torch, sklearn, scikit-learn, xgb…); required at create`,
  })),
  meta: metaObject,
  // The original MLHub called it meta_data; both are accepted.
  meta_data: metaObject,
  description: text(10_000),
  reference: text(2_000),
  // Trimmed as keywords are: a facet value with spaces around it matched no discipline= filter (review 13c F2).
  discipline: z.optional(z.nullable(label(200))),
  visibility: z.optional(z.enum(['private', 'public'], { error: "must be 'private' or 'public'" })),
  ...scholarlyFields,
  ...Object.fromEntries(['owner', 'created', 'updated', 'revision', 'latest_version', 'versions', 'grants', 'user', 'version', 'bundle', 'doi', 'concept_doi']
    .map((field) => [field, echoed(z.optional(z.unknown()))])),
}).register(z.globalRegistry, { id: 'ModelDocument', description: 'The writable fields of a model record' });

export type ModelDocument = z.output<typeof modelDocument>;

const etag = { etag: "The record's revision, for If-Match" };

/** If-Match (RFC 9110 §13.1.1): the ETag of the record as the caller read it. */
const ifMatchHeader = (consequence: string) =>
  z.object({ 'if-match': z.optional(z.string().register(z.globalRegistry, { description: `The ETag of the record read; ${consequence}` })) });

export const listModels = contract({
  route: 'listModels',
  query: z.object({
    limit: z.optional(wholeNumberText(MAX_PAGE, 'Models per page (default 50)')),
    cursor: z.optional(z.string().register(z.globalRegistry, { description: "The previous page's cursor, unchanged: the listing's `x-next-cursor`, a search's `next_cursor` (both in its Link header too)" })),
    mine: z.optional(flagText('Only the caller\'s own models (sign in)')),
    ...searchParameters,
  }),
  responses: {
    200: {
      description: 'Without search parameters (only limit, cursor, mine): one page of the models the caller may see, newest first, as a JSON array (the seed\'s listing). '
        + 'With any of q, a filter, sort or direction: a search, answered as `{hits, total, facets, next_cursor}` over the models the caller may see',
      body: z.union([z.array(views.modelSummary), views.searchResult]),
      headers: { link: 'The next page (rel="next"), with the same parameters', 'x-next-cursor': 'The cursor of the next page (the plain listing)' },
    },
  },
  errors: [
    ...G.everyRoute, ...G.readsIdentity, 'invalid_limit', 'invalid_mine', 'invalid_cursor', 'authentication_required',
    ...SEARCH_PARAMETERS.map((name) => `invalid_${name}` as const), 'search_unavailable',
  ],
});

export const createModel = contract({
  route: 'createModel',
  params: modelParams,
  body: modelDocument,
  requestBody: {
    description: 'A JSON model document creates the model (signed in, write scope). A multipart/form-data body with an `image` field is the seed\'s prediction form instead: it is answered as POST /model/{name}/predict answers, to anyone who may see the model (a read token will do), with bodies up to 4.45 MiB.',
    mediaTypes: ['application/json', 'multipart/form-data'],
    required: true,
    formField: 'image',
  },
  alsoAnonymous: 'The seed\'s image form (multipart/form-data) is served to anyone who may see the model, anonymous callers of a public model included.',
  responses: {
    201: { description: 'The model was created', body: views.model, headers: { location: 'The model\'s URL', ...etag } },
    200: { description: 'A multipart image form posted here is a prediction, as in the seed', body: views.prediction },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.writeScope, ...G.jsonBody, 'invalid_model_name', 'invalid_model_type', 'missing_type', 'name_mismatch', 'model_exists', 'model_not_found', ...PREDICTION_ERRORS, 'predict_function_failed', 'predict_function_busy'],
});

/**
 * What content negotiation adds to a model's and a version's URL (functions/landing/representations.ts):
 * the answer's media types and headers, the 406, and the tombstone page of a withdrawn record.
 */
export const negotiated = {
  description: 'By `Accept` (q-values honoured; an unknown type or parameter is 406): `application/json`, no Accept and `*/*` get the JSON record; '
    + '`text/html` the landing page (with signposting `Link` headers); `application/ld+json` its schema.org JSON-LD; '
    + '`application/x-bibtex` BibTeX; `application/x-research-info-systems` RIS; `application/vnd.citationstyles.csl+json` CSL-JSON; '
    + '`text/x-bibliography; style=…; locale=en-US` a formatted reference (style apa, chicago, harvard, vancouver or ieee); '
    + '`application/vnd.datacite.datacite+json` DataCite JSON',
  contentType: ALTERNATE_CONTENT_TYPES,
  headers: {
    vary: 'Accept (and Origin with CORS): every answer depends on it',
    link: 'The landing page\'s signposting links (cite-as, describedby, item, license, author, type)',
    'content-security-policy': "The landing page's: its own inline style and script only",
  },
  errorPages: {
    codes: ['model_withdrawn', 'version_withdrawn'],
    contentType: 'text/html',
    description: 'Asked for text/html, a withdrawn model or version answers its tombstone page (410); other errors stay JSON',
  },
} as const;

export const getModel = contract({
  route: 'getModel',
  params: modelParams,
  responses: {
    200: {
      description: `The model record with its versions. ${negotiated.description}`,
      body: views.model,
      contentType: negotiated.contentType,
      headers: { etag: "The record's revision, for If-Match (the JSON record only)", ...negotiated.headers },
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.namedModel, 'not_acceptable'],
  errorPages: { ...negotiated.errorPages, codes: ['model_withdrawn'] },
});

/** `GET /model/{name}/cite`'s query: what to cite, in which format and style. */
export const citationQuery = z.object({
  format: z.optional(z.enum(CITATION_FORMAT_NAMES).register(z.globalRegistry, {
    description: `The citation format (default ${DEFAULT_CITATION_FORMAT}): ${CITATION_FORMAT_NAMES.map((name) => `\`${name}\` (${CITATION_FORMATS[name].split(';')[0]})`).join(', ')}`,
  })),
  version: z.optional(wholeNumberText(MAX_VERSION_NUMBER, 'The version to cite, by its version DOI once published; without it, the model, by its concept DOI once a version is published')),
  style: z.optional(z.enum(CITATION_STYLE_NAMES).register(z.globalRegistry, {
    description: `The citation style of formats ${STYLED_FORMATS.join(' and ')} (default ${DEFAULT_CITATION_STYLE}): ${CITATION_STYLE_NAMES.join(', ')} (chicago is author-date); other formats take none`,
  })),
});

export const citeModel = contract({
  route: 'citeModel',
  params: modelParams,
  query: citationQuery,
  responses: {
    200: {
      description: 'The citation, in the media type of its format. A published version cites its version DOI, a model with a published version its concept DOI; a model or version without a DOI cites its landing page, with the access date, and says it has no DOI yet; a withdrawn version still cites, marked withdrawn',
      contentType: [...new Set(Object.values(CITATION_FORMATS))],
      headers: { 'content-disposition': 'inline, with the file name a browser saves it as when it does not show it: <model>[-v<n>].bib, .ris, .csl.json, .datacite.json, .txt, .html; CITATION.cff; codemeta.json' },
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.namedModel, 'invalid_format', 'invalid_style', 'invalid_version', 'version_not_found', 'version_gone', 'version_withdrawn', 'version_not_ready'],
});

export const updateModel = contract({
  route: 'updateModel',
  params: modelParams,
  headers: ifMatchHeader('the update is refused (412) if it changed since'),
  body: modelDocument,
  responses: { 200: { description: 'The updated record', body: views.model, headers: etag } },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.writeScope, ...G.namedModel, ...G.jsonBody, 'forbidden', 'invalid_model_type', 'name_mismatch', 'visibility_not_here', 'invalid_if_match', 'revision_mismatch', 'backend_not_allowed'],
});

export const deleteModel = contract({
  route: 'deleteModel',
  params: modelParams,
  headers: ifMatchHeader('the delete is refused (412) if it changed since'),
  query: withdrawalReasonQuery,
  responses: {
    200: {
      description: 'The model and all its bundles are gone, and its name may be used again. A model with DOIs is withdrawn instead (`withdrawn: true`): its versions with DOIs are withdrawn, their DOIs and its concept DOI hidden (still resolving), and it answers 410 with its tombstone; its name stays reserved',
      body: z.strictObject({
        model: z.string(), deleted: z.literal(true), versions_deleted: z.int(), objects_deleted: z.int(),
        withdrawn: z.boolean().register(z.globalRegistry, { description: 'Whether the model had DOIs, so that it was withdrawn rather than deleted' }),
        versions_withdrawn: z.int().register(z.globalRegistry, { description: 'Versions this delete withdrew (of versions_deleted)' }),
      }),
    },
  },
  errors: [...G.everyRoute, ...G.readsIdentity, ...G.signedIn, ...G.writeScope, ...G.namedModel, 'forbidden', 'invalid_if_match', 'invalid_reason', 'revision_mismatch'],
});
