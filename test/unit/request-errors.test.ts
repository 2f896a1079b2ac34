import { describe, expect, it } from 'vitest';
import { accessDocument } from '../../functions/contracts/access-contracts';
import { ROUTE_CONTRACTS } from '../../functions/contracts/route-contracts';
import { parseRequestPart } from '../../functions/contracts/request-errors';
import { isAppError } from '../../functions/errors/app-error';

/*
 * Every field of every JSON body a route takes, sent as each JSON type in turn: a refusal is a 400
 * `invalid_body` that names the field and says what to send, never zod's bare "Invalid input".
 */

const WRONG_VALUES: readonly unknown[] = ['text', 7, 1.5, true, [], [1], {}, { user: 'bob' }];

const bodies = Object.values(ROUTE_CONTRACTS).flatMap((contract) => {
  const shape = (contract.body as { def?: { shape?: Record<string, unknown> } } | undefined)?.def?.shape;
  return shape ? [{ route: contract.route, schema: contract.body, fields: Object.keys(shape) }] : [];
});

describe('refusals of a JSON body', () => {
  it('covers every route that takes one', () => {
    expect(bodies.map((body) => body.route).sort()).toEqual(['createDataset', 'createJob', 'createModel', 'createToken', 'createUpload', 'deployVersion', 'putAccess', 'updateModel']);
  });

  it.each(bodies)('$route: each field, sent as every JSON type, is refused naming the field and what it takes', ({ schema, fields }) => {
    for (const field of fields) {
      for (const value of WRONG_VALUES) {
        try {
          parseRequestPart('body', schema as never, { name: 'n', size: 1, [field]: value });
        } catch (error) {
          expect(isAppError(error) && error.code, `${field}: ${JSON.stringify(value)}`).toBe('invalid_body');
          const message = (error as Error).message;
          expect(message, `${field}: ${JSON.stringify(value)}`).not.toMatch(/Invalid input/);
          expect(message, `${field}: ${JSON.stringify(value)}`).toMatch(/Invalid request body: \S+ \S+/);
        }
      }
    }
  });

  it('says a list is expected where an object was sent', () => {
    expect(() => parseRequestPart('body', accessDocument, { grants: { user: 'bob' } })).toThrow(/grants must be a list/);
  });
});
