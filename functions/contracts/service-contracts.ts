import * as z from 'zod/mini';
import { ERROR_GROUPS as G } from './error-groups';
import { contract } from './route-contract';

const health = z.strictObject({
  status: z.enum(['ok', 'degraded']),
  service: z.literal('mlhub'),
  version: z.string(),
  checks: z.strictObject({ metadata: z.enum(['ok', 'unavailable']), bundles: z.enum(['ok', 'unavailable']) }),
  time: z.string(),
}).register(z.globalRegistry, { id: 'Health', description: 'Service health and the state of its stores' });

export const getStatus = contract({
  route: 'getStatus',
  responses: {
    200: { description: 'Both stores answer', body: health },
    503: { description: 'A store does not answer; `checks` says which', body: health },
  },
  errors: [...G.everyRoute],
});

export const getOpenApi = contract({
  route: 'getOpenApi',
  responses: { 200: { description: 'This document: OpenAPI 3.1, generated from the route contracts', body: z.record(z.string(), z.unknown()) } },
  errors: [...G.everyRoute],
});
