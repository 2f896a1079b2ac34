import { describe, expect, it } from 'vitest';
import { accessLevel, authorize, REQUIRED_LEVEL, type ModelAction } from '../../functions/access/access-policy';
import { accessChangeOf } from '../../functions/access/access-settings';
import { accessDocument } from '../../functions/contracts/access-contracts';
import { parseRequestPart } from '../../functions/contracts/request-errors';

/** An access body as the route reads it: validated by its contract, then checked against the owner. */
const parseAccessChange = (body: unknown, owner: string) => accessChangeOf(parseRequestPart('body', accessDocument, body), owner);
import type { AppError } from '../../functions/errors/app-error';
import { ANONYMOUS, userActor } from '../../functions/identity/actor';
import type { ModelRecord } from '../../functions/registry/model-records';

const model = (visibility: 'private' | 'public'): ModelRecord => ({
  name: 'm', type: 'ONNX', meta: {}, owner: 'olive', visibility, createdAt: '', updatedAt: '', revision: 1, versionCounter: 0, state: 'active',
});

describe('accessLevel', () => {
  it('ranks owner, grants, public reading and strangers', () => {
    expect(accessLevel(userActor('olive', 'session'), model('private'), undefined)).toBe('owner');
    expect(accessLevel(userActor('rita', 'session'), model('private'), 'read')).toBe('read');
    expect(accessLevel(userActor('will', 'session'), model('public'), 'write')).toBe('write');
    expect(accessLevel(userActor('sam', 'session'), model('public'), undefined)).toBe('read');
    expect(accessLevel(userActor('sam', 'session'), model('private'), undefined)).toBe('none');
    expect(accessLevel(ANONYMOUS, model('public'), undefined)).toBe('read');
    expect(accessLevel(ANONYMOUS, model('private'), 'write')).toBe('none');
  });
});

describe('authorize', () => {
  const outcome = (who: string | undefined, visibility: 'private' | 'public', grant: 'read' | 'write' | undefined, action: ModelAction) => {
    try {
      authorize(who ? userActor(who, 'session') : ANONYMOUS, 'm', model(visibility), grant, action);
      return 'ok';
    } catch (error) {
      return (error as AppError).kind;
    }
  };

  it('hides a model from those who may not see it, exactly like a missing one', () => {
    expect(outcome('sam', 'private', undefined, 'view')).toBe('not_found');
    expect(outcome('sam', 'private', undefined, 'delete')).toBe('not_found');
    let missing: unknown;
    try {
      authorize(userActor('sam', 'session'), 'm', undefined, undefined, 'view');
    } catch (error) {
      missing = error;
    }
    let hidden: unknown;
    try {
      authorize(userActor('sam', 'session'), 'm', model('private'), undefined, 'view');
    } catch (error) {
      hidden = error;
    }
    expect(hidden).toEqual(missing);
  });

  it('forbids what the access level does not cover', () => {
    expect(outcome('rita', 'private', 'read', 'download')).toBe('ok');
    expect(outcome('rita', 'private', 'read', 'edit')).toBe('forbidden');
    expect(outcome('will', 'private', 'write', 'upload')).toBe('ok');
    expect(outcome('will', 'private', 'write', 'delete')).toBe('forbidden');
    expect(outcome('will', 'private', 'write', 'manageAccess')).toBe('forbidden');
    expect(outcome('sam', 'public', undefined, 'edit')).toBe('forbidden');
    for (const action of Object.keys(REQUIRED_LEVEL) as ModelAction[]) expect(outcome('olive', 'private', undefined, action)).toBe('ok');
  });
});

describe('parseAccessChange', () => {
  it('reads visibility and a full grant list', () => {
    expect(parseAccessChange({ visibility: 'public', grants: [{ user: 'rita', role: 'read' }] }, 'olive')).toEqual({ visibility: 'public', grants: [{ user: 'rita', role: 'read' }] });
  });

  it.each([
    [{}, /Send 'visibility', 'grants', or both/],
    [{ visibility: 'secret' }, /visibility must be 'private' or 'public'/],
    [{ grants: [{ user: 'rita', role: 'admin' }] }, /role must be 'read' or 'write'/],
    [{ grants: [{ user: 'rita', role: 'read' }, { user: 'rita', role: 'write' }] }, /appears twice/],
    [{ grants: [{ user: 'olive', role: 'read' }] }, /owner already has full access/],
    [{ visibility: 'public', extra: 1 }, /unknown field\(s\) 'extra'; allowed: visibility, grants$/],
  ])('rejects %j', (body, message) => {
    expect(() => parseAccessChange(body, 'olive')).toThrow(message);
  });
});
