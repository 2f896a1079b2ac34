import { describe, expect, it } from 'vitest';
import { ROUTES, routeById, type RouteSpec } from '../../functions/routes/route-table';
import { routeAccess, ROUTE_ACCESS, unionOfAccess } from '../../lib/access/route-access';
import { routeRuntime } from '../../lib/functions/route-runtime';

const route = (id: string, fields: Partial<RouteSpec> = {}): RouteSpec => ({
  id, method: 'POST', path: `/${id}`, handler: id, auth: 'required', scope: 'write', body: 'json', bodyLimit: 1024,
  memoryMb: 512, timeoutSeconds: 10, summary: id, query: [], ...fields,
});

describe('a function\'s runtime', () => {
  it('is its route\'s memory and timeout, and runs inference when its body is prediction input', () => {
    const table = [route('create'), route('predict', { body: 'predict', memoryMb: 2048, timeoutSeconds: 28 })];
    expect(routeRuntime('create', table)).toEqual({ memoryMb: 512, timeoutSeconds: 10, inference: false });
    expect(routeRuntime('predict', table)).toEqual({ memoryMb: 2048, timeoutSeconds: 28, inference: true });
    expect(() => routeRuntime('zz', table)).toThrow(/No route with id 'zz'/);
  });

  it('refuses a route timeout within 2 s of API Gateway\'s 30 s, and the route table holds none', () => {
    expect(() => routeRuntime('slow', [route('slow', { timeoutSeconds: 29 })])).toThrow(/Route 'slow' has a 29 s timeout; a route function may take at most 28 s/);
    for (const candidate of ROUTES) expect(routeRuntime(candidate.id).timeoutSeconds, candidate.id).toBeLessThanOrEqual(28);
  });

  it('keeps createModel a metadata function that waits as long as a prediction, and runs inference only on the predict routes', () => {
    const create = routeById('createModel');
    const predict = routeById('predictModel');
    expect(routeRuntime('createModel')).toEqual({ memoryMb: 512, timeoutSeconds: predict.timeoutSeconds, inference: false });
    expect(create.memoryMb).toBeLessThan(predict.memoryMb);
    expect(ROUTES.filter((candidate) => routeRuntime(candidate.id).inference).map((candidate) => candidate.id).sort()).toEqual(['predictModel', 'predictModelWithGet']);
  });
});

describe('a function\'s access', () => {
  it('unites each target\'s actions, once each', () => {
    expect(unionOfAccess([
      { table: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
      { table: ['dynamodb:GetItem'], bundleObjects: ['s3:GetObject'] },
      {},
    ])).toEqual({ table: ['dynamodb:GetItem', 'dynamodb:PutItem'], bundleObjects: ['s3:GetObject'] });
  });

  it('lets the predict routes read the token, model, grant and version items, the bundles, and the configured endpoints, and write nothing but the usage counter and a deployment settled', () => {
    for (const id of ['predictModel', 'predictModelWithGet']) {
      expect(routeAccess(id)).toEqual({ table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], usageCounters: ['dynamodb:UpdateItem'], bundleObjects: ['s3:GetObject'], modelEndpoints: ['sagemaker:InvokeEndpoint'] });
    }
  });

  it('gives createModel only its own access to data: no bundles, no endpoints (the predict function reads those)', () => {
    // Its record, and the search change log's head, its model's items and its entry.
    expect(routeAccess('createModel')).toEqual({ table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'] });
    expect(routeAccess('createModel')).toEqual(ROUTE_ACCESS.createModel);
  });
});
