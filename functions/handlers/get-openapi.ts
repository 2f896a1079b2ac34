import document from '../contracts/openapi.json' with { type: 'json' };
import { getOpenApi } from '../contracts/service-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';

/**
 * `GET /openapi.json`: the document scripts/openapi.ts generated from the route contracts and
 * committed beside them (test/unit/openapi.test.ts keeps it in step), served as it is.
 */
export const handler = routeHandler(getOpenApi, async () => jsonResponse(200, document, { 'cache-control': 'public, max-age=300' }));
