import { readFileSync } from 'node:fs';
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { ROUTE_CONTRACTS, contractOf } from '../../functions/contracts/route-contracts';
import { ERROR_CATALOGUE } from '../../functions/errors/error-catalogue';
import { ROUTES } from '../../functions/routes/route-table';
import { OPENAPI_FILE, openApiText } from '../../scripts/openapi';

const committed = readFileSync(OPENAPI_FILE, 'utf8');
const document = JSON.parse(committed) as { openapi: string; paths: Record<string, Record<string, { operationId: string; security: unknown[]; responses: Record<string, unknown> }>> };

describe('the OpenAPI document', () => {
  it('is the one scripts/openapi.ts generates from the contracts (run `npx tsx scripts/openapi.ts` after changing one)', () => {
    expect(committed).toBe(openApiText());
  });

  it('is valid OpenAPI 3.1', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(JSON.parse(committed));
    expect('errors' in result ? result.errors : [], JSON.stringify(result)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route once, under its id, with its auth, its success statuses and its error statuses', () => {
    for (const route of ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation?.operationId, `${route.method} ${route.path}`).toBe(route.id);
      const anonymousToo = route.auth === 'optional' || contractOf(route.id).alsoAnonymous !== undefined;
      expect(operation?.security).toEqual(route.auth === 'none' ? [] : anonymousToo ? [{}, { bearer: [route.scope] }] : [{ bearer: [route.scope] }]);
      const statuses = Object.keys(operation?.responses ?? {});
      for (const status of Object.keys(contractOf(route.id).responses)) expect(statuses).toContain(status);
      if (route.auth === 'required' || route.auth === 'session') expect(statuses).toContain('401');
    }
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    expect(operations).toHaveLength(ROUTES.length);
  });

  it('lets an error 503 carry Retry-After, as identity_unavailable and predict_function_busy send it', () => {
    // GET /status's 503 is its health report, not an error.
    const unavailable = Object.values(document.paths).flatMap((item) => Object.values(item)).map((operation) => operation.responses['503'])
      .filter((answer) => JSON.stringify(answer ?? {}).includes('"#/components/schemas/Error"'));
    expect(unavailable.length).toBeGreaterThan(0);
    for (const answer of unavailable) expect(Object.keys((answer as { headers?: object }).headers ?? {})).toContain('retry-after');
  });

  it('names only catalogued error codes, each under the status its kind gives', () => {
    const codes = new Set<string>(Object.keys(ERROR_CATALOGUE));
    for (const contract of Object.values(ROUTE_CONTRACTS)) {
      for (const code of contract.errors) expect(codes.has(code) || /^invalid_[a-z][a-z0-9_]*$/.test(code), `${contract.route}: ${code}`).toBe(true);
    }
  });
});
