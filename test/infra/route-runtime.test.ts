import { describe, expect, it } from 'vitest';
import { ROUTES, routeById, type RouteSpec } from '../../functions/routes/route-table';
import { functionAccess, ROUTE_ACCESS, unionOfAccess } from '../../lib/access/route-access';
import { routeRuntime } from '../../lib/functions/route-runtime';
import { answeredRoutes } from '../../lib/routes/answered-routes';

const route = (id: string, fields: Partial<RouteSpec> = {}): RouteSpec => ({
  id, method: 'POST', path: `/${id}`, handler: id, auth: 'required', scope: 'write', body: 'json', bodyLimit: 1024,
  memoryMb: 512, timeoutSeconds: 10, summary: id, query: [], ...fields,
});

describe('routes a function answers for (alsoAnswersAs)', () => {
  it('is the route itself, then the route it also answers as', () => {
    expect(answeredRoutes('createModel').map((answered) => answered.id)).toEqual(['createModel', 'predictModel']);
    expect(answeredRoutes('predictModel').map((answered) => answered.id)).toEqual(['predictModel']);
    expect(answeredRoutes('getModel').map((answered) => answered.id)).toEqual(['getModel']);
  });

  it('follows a chain to its end, stops at a cycle, and refuses a route that is not in the table', () => {
    const table = [route('a', { alsoAnswersAs: 'b' }), route('b', { alsoAnswersAs: 'c' }), route('c', { alsoAnswersAs: 'a' }), route('d', { alsoAnswersAs: 'nowhere' })];
    expect(answeredRoutes('a', table).map((answered) => answered.id)).toEqual(['a', 'b', 'c']);
    expect(() => answeredRoutes('d', table)).toThrow(/Route 'd' also answers as 'nowhere', which is not in the route table/);
    expect(() => answeredRoutes('zz', table)).toThrow(/No route with id 'zz'/);
  });

  it('names only routes that exist, in the real table', () => {
    for (const candidate of ROUTES) expect(() => answeredRoutes(candidate.id)).not.toThrow();
  });
});

describe('a function\'s runtime', () => {
  it('is its route\'s memory and timeout, raised to those of a route it also answers as, and runs inference if either does', () => {
    const table = [
      route('create', { alsoAnswersAs: 'predict', memoryMb: 512, timeoutSeconds: 10 }),
      route('predict', { body: 'predict', memoryMb: 2048, timeoutSeconds: 29 }),
      route('big', { memoryMb: 4096, timeoutSeconds: 5, alsoAnswersAs: 'predict' }),
    ];
    expect(routeRuntime('create', table)).toEqual({ memoryMb: 2048, timeoutSeconds: 29, inference: true });
    expect(routeRuntime('big', table)).toEqual({ memoryMb: 4096, timeoutSeconds: 29, inference: true });
    expect(routeRuntime('predict', table)).toEqual({ memoryMb: 2048, timeoutSeconds: 29, inference: true });
  });

  it('gives createModel what predictModel needs, derived from the route table, and leaves metadata routes alone', () => {
    const predict = routeById('predictModel');
    expect(routeRuntime('createModel')).toEqual({ memoryMb: predict.memoryMb, timeoutSeconds: predict.timeoutSeconds, inference: true });
    expect(routeRuntime('predictModelWithGet').inference).toBe(true);
    const getModel = routeById('getModel');
    expect(routeRuntime('getModel')).toEqual({ memoryMb: getModel.memoryMb, timeoutSeconds: getModel.timeoutSeconds, inference: false });
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

  it('lets the predict routes read the token, model, grant and version items, the bundles, and the configured endpoints, and write nothing', () => {
    for (const id of ['predictModel', 'predictModelWithGet']) {
      expect(functionAccess(id)).toEqual({ table: ['dynamodb:GetItem'], bundleObjects: ['s3:GetObject'], modelEndpoints: ['sagemaker:InvokeEndpoint'] });
    }
  });

  it('gives createModel its own access and predictModel\'s', () => {
    expect(functionAccess('createModel')).toEqual({
      table: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      bundleObjects: ['s3:GetObject'],
      modelEndpoints: ['sagemaker:InvokeEndpoint'],
    });
    expect(ROUTE_ACCESS.createModel).toEqual({ table: ['dynamodb:GetItem', 'dynamodb:PutItem'] });
  });
});
