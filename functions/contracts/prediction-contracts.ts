import * as z from 'zod/mini';
import { ERROR_GROUPS as G, PREDICTION_ERRORS } from './error-groups';
import { modelParams, versionQuery } from './parameters';
import { contract } from './route-contract';
import * as views from './views';

const predictBody = {
  description: 'JSON input: `{"input": [...]}` (one vector, or a batch of rows), `{"inputs": {"name": [...]}}` (named inputs), or an image (PNG or JPEG) as the raw body or a multipart `image` field',
  mediaTypes: ['application/json', 'image/png', 'image/jpeg', 'multipart/form-data'],
  required: true,
  formField: 'image',
} as const;

const predictErrors = [...G.everyRoute, ...G.readsIdentity, ...G.namedModel, ...PREDICTION_ERRORS] as const;

/** POST is the way; GET with a body is the seed's curl, answered the same. */
const predictContract = {
  params: modelParams,
  query: z.object({ version: z.optional(versionQuery) }),
  requestBody: predictBody,
  responses: {
    200: {
      description: 'One prediction per input row; `version` is the version that ran',
      body: views.prediction,
      headers: { 'x-mlhub-latest-version': 'Without ?version: the latest ready version, when it runs only once deployed and is not in service, so the prediction ran on the latest version in service instead' },
    },
  },
  errors: predictErrors,
} as const;

export const predictModel = contract({ route: 'predictModel', ...predictContract });
export const predictModelWithGet = contract({ route: 'predictModelWithGet', ...predictContract });
