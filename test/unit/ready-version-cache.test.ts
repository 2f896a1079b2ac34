import { describe, expect, it } from 'vitest';
import { ANONYMOUS, userActor } from '../../functions/identity/actor';
import { cacheReadyVersions, type ReadyVersion } from '../../functions/registry/ready-version-cache';

const found = (name: string) => ({ model: { name }, version: { version: 1 } }) as unknown as ReadyVersion;

describe('cacheReadyVersions', () => {
  it('answers repeated lookups from memory, per caller, name and version', async () => {
    const calls: string[] = [];
    const lookup = cacheReadyVersions(async (actor, name, requested) => {
      calls.push(`${actor.id}/${name}/${requested}`);
      return found(name);
    }, { ttlMs: 60_000 });
    await lookup(userActor('ann', 'session'), 'm');
    await lookup(userActor('ann', 'token', 'read'), 'm');
    await lookup(userActor('bob', 'session'), 'm');
    await lookup(ANONYMOUS, 'm');
    await lookup(userActor('ann', 'session'), 'm', 2);
    expect(calls).toEqual(['ann/m/undefined', 'bob/m/undefined', '/m/undefined', 'ann/m/2']);
  });

  it('never keeps a refusal, so a new model or grant is seen at once', async () => {
    let allowed = false;
    const lookup = cacheReadyVersions(async (_actor, name) => {
      if (!allowed) throw new Error('not found');
      return found(name);
    }, { ttlMs: 60_000 });
    await expect(lookup(ANONYMOUS, 'm')).rejects.toThrow('not found');
    allowed = true;
    await expect(lookup(ANONYMOUS, 'm')).resolves.toEqual(found('m'));
  });

  it('looks again once the entry is older than the time to live', async () => {
    let calls = 0;
    const lookup = cacheReadyVersions(async (_actor, name) => {
      calls += 1;
      return found(name);
    }, { ttlMs: 30 });
    await lookup(ANONYMOUS, 'm');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await lookup(ANONYMOUS, 'm');
    expect(calls).toBe(2);
  });

  it('is off at zero', async () => {
    let calls = 0;
    const lookup = cacheReadyVersions(async (_actor, name) => {
      calls += 1;
      return found(name);
    }, { ttlMs: 0 });
    await lookup(ANONYMOUS, 'm');
    await lookup(ANONYMOUS, 'm');
    expect(calls).toBe(2);
  });
});
