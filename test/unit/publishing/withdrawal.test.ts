import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userActor, type Actor } from '../../../functions/identity/actor';
import type { DoiProvider } from '../../../functions/publishing/doi-provider';
import { DynamoDoiRecordStore } from '../../../functions/publishing/dynamo-doi-record-store';
import { LOCAL_DOI_PREFIX, localDoiProvider } from '../../../functions/publishing/local-datacite';
import { holdsDoi } from '../../../functions/publishing/publication';
import { VersionPublishing } from '../../../functions/publishing/version-publishing';
import { ModelRemoval } from '../../../functions/registry/model-removal';
import { DOI_WORK_GRACE_MS, PendingSweep } from '../../../functions/versions/pending-sweep';
import { VersionRemoval } from '../../../functions/versions/version-removal';
import { startEmbeddedStores, type EmbeddedStores } from '../../support/embedded-stores';
import { sampleBundle } from '../../support/tarballs';

/*
 * Withdrawal over the real stores (dynalite, s3rver) and the local DOI provider: the races
 * between a publish and a delete, between registration and a withdrawal, and DOI work whose
 * message was lost.
 */

const alice: Actor = userActor('alice', 'session');
let stores: EmbeddedStores;
let dois: DynamoDoiRecordStore;
/** DOI work asked for, as `name vN`. */
const sent: string[] = [];

const FULL_METADATA = {
  type: 'ONNX', description: 'Handwritten digits', title: 'Digits', license: 'MIT', authors: [{ name: 'Josiah Carberry', role: 'creator' as const }],
};

const publishing = (overrides: Partial<ConstructorParameters<typeof VersionPublishing>[0]> = {}) => new VersionPublishing({
  models: stores.models, versions: stores.versionStore, provider: localDoiProvider(dois), prefix: LOCAL_DOI_PREFIX, publisher: 'MLHub (test)',
  landingUrl: (name, version) => `http://127.0.0.1:8083/model/${name}${version === undefined ? '' : `/versions/${version}`}`,
  ...overrides,
});

let removal: VersionRemoval;

async function modelWithVersion(name: string): Promise<void> {
  await stores.registry.createModel(alice, name, FULL_METADATA);
  await stores.direct.addVersion(alice, name, { bytes: await sampleBundle('mnist') });
}

const settled = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: unknown) => error as Error);

/** A one-shot signal between a test and a provider it pauses: `fired` resolves once `fire` is called. */
function signal(): { readonly fired: Promise<void>; readonly fire: () => void } {
  let fire: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire };
}

beforeAll(async () => {
  stores = await startEmbeddedStores();
  dois = new DynamoDoiRecordStore(stores.documents, stores.tableName);
  removal = new VersionRemoval({
    models: stores.models, versions: stores.versionStore, sessions: stores.sessionStore, bundles: stores.bundles,
    doiWork: async (name, version) => {
      sent.push(`${name} v${version}`);
    },
  });
}, 60_000);

afterAll(async () => {
  await stores?.close();
});

describe('a delete racing a publish', () => {
  it('never leaves a deleted version with a DOI: the plain delete refuses a version whose publication began, and withdraws it instead', async () => {
    await modelWithVersion('race-begun');
    await publishing().request(alice, 'race-begun', 1);
    // The check-then-write of a delete that read the version before the publish began.
    expect(await stores.versionStore.transition('race-begun', 1, ['ready'], { status: 'deleted', reason: 'late', by: 'alice' }, new Date().toISOString())).toBe(false);
    const withdrawn = await removal.deleteVersion(alice, 'race-begun', 1, 'Wrong weights');
    expect(withdrawn).toMatchObject({ status: 'deleted', publication: { state: 'withdrawn', withdrawalReason: 'Wrong weights' } });
    expect(sent).toContain('race-begun v1');
  });

  it('publishes nothing once the version is deleted', async () => {
    await modelWithVersion('race-deleted');
    await removal.deleteVersion(alice, 'race-deleted', 1);
    expect(await settled(publishing().request(alice, 'race-deleted', 1))).toMatchObject({ code: 'version_gone' });
    expect((await stores.versionStore.get('race-deleted', 1))?.publication).toBeUndefined();
  });

  it('ends every concurrent pair with the version either withdrawn with its DOI, or deleted without one', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `race-both-${i}`);
    for (const name of names) await modelWithVersion(name);
    await Promise.all(names.map((name) => Promise.all([settled(publishing().request(alice, name, 1)), settled(removal.deleteVersion(alice, name, 1))])));
    for (const name of names) {
      const version = await stores.versionStore.get(name, 1);
      expect(version?.status, name).toBe('deleted');
      if (holdsDoi(version?.publication)) expect(version?.publication?.state, name).toBe('withdrawn');
      // A publish that lost changed nothing: the model is as private as it was.
      else expect((await stores.models.getModelRecord(name))?.visibility, name).toBe('private');
    }
  });
});

describe('registration racing a withdrawal', () => {
  it('hides what the agency registered while the version was being withdrawn', async () => {
    await modelWithVersion('race-register');
    await publishing().request(alice, 'race-register', 1);
    const local = localDoiProvider(dois);
    const gate = signal();
    const inside = signal();
    // The agency answers the version DOI only once the withdrawal has happened.
    const slow: DoiProvider = Object.assign(Object.create(local) as DoiProvider, {
      publish: async (doi: string, attributes: Record<string, unknown>) => {
        inside.fire();
        await gate.fired;
        return local.publish(doi, attributes);
      },
    });
    const registering = publishing({ provider: slow }).register('race-register', 1);
    await inside.fired;
    await removal.deleteVersion(alice, 'race-register', 1, 'Withdrawn mid-registration');
    // Another worker takes the withdrawal's message first: the agency has nothing yet to hide.
    expect(await publishing().advance('race-register', 1)).toMatchObject({ state: 'withdrawn', registered: false });
    gate.fire();
    expect(await registering).toMatchObject({ state: 'withdrawn', registered: true, hiddenAt: expect.any(String) });
    for (const doi of [`${LOCAL_DOI_PREFIX}/mlhub.race-register/v1`, `${LOCAL_DOI_PREFIX}/mlhub.race-register`]) {
      expect((await dois.get(doi))?.state, doi).toBe('registered');
    }
  });

  it('registers nothing for a version withdrawn before its registration ran, and says its DOI was never registered', async () => {
    await modelWithVersion('race-early');
    await publishing().request(alice, 'race-early', 1);
    await removal.deleteVersion(alice, 'race-early', 1);
    expect(await publishing().advance('race-early', 1)).toMatchObject({ state: 'withdrawn', registered: false });
    expect(await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.race-early/v1`)).toBeUndefined();
    // Asking again does nothing more.
    expect(await publishing().advance('race-early', 1)).toMatchObject({ state: 'withdrawn', registered: false });
  });
});

describe('a DOI and what it resolves to', () => {
  it('is never findable for a page anyone cannot read: a publication left on a private model (a crash between writes) is made public by asking again, and by registration', async () => {
    for (const repair of ['asking again', 'registration'] as const) {
      const name = `crash-private-${repair === 'registration' ? 'r' : 'a'}`;
      await modelWithVersion(name);
      expect((await publishing().request(alice, name, 1)).state).toBe('publishing');
      // What a crash between the publication's write and the model's would leave: the model private.
      await stores.models.setVisibility(name, 'private', new Date().toISOString());
      if (repair === 'asking again') await publishing().request(alice, name, 1);
      else expect((await publishing().register(name, 1))?.state).toBe('published');
      expect((await stores.models.getModelRecord(name))?.visibility, repair).toBe('public');
    }
  });

  it('begins nothing when the publish request fails because the model is being deleted', async () => {
    await modelWithVersion('publish-deleting');
    await stores.models.beginDelete('publish-deleting', new Date().toISOString());
    // Its record is no longer active, so the request is the usual 404 ...
    expect(await settled(publishing().request(alice, 'publish-deleting', 1))).toMatchObject({ code: 'model_not_found' });
    // ... and the removal finishes it as a plain delete: no tombstone, the name free.
    expect((await stores.versionStore.get('publish-deleting', 1))?.publication).toBeUndefined();
  });

  it('keeps the concept DOI findable when a version is withdrawn while another is being published', async () => {
    await modelWithVersion('concept-live');
    await stores.direct.addVersion(alice, 'concept-live', { bytes: await sampleBundle('mnist', [{ name: 'mnist/two.txt', content: '2' }]) });
    await publishing().request(alice, 'concept-live', 1);
    await publishing().register('concept-live', 1);
    await publishing().request(alice, 'concept-live', 2);
    // v2's registration already wrote the concept DOI, and has not settled when v1 is withdrawn.
    await removal.deleteVersion(alice, 'concept-live', 1);
    await publishing().advance('concept-live', 1);
    expect((await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.concept-live`))?.state).toBe('findable');
    expect((await publishing().register('concept-live', 2))?.state).toBe('published');
    expect((await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.concept-live`))?.state).toBe('findable');
  });

  it('leaves no findable version DOI when the agency refuses the concept DOI after taking the version DOI', async () => {
    await modelWithVersion('concept-refused');
    await publishing().request(alice, 'concept-refused', 1);
    const local = localDoiProvider(dois);
    const refusesConcept: DoiProvider = Object.assign(Object.create(local) as DoiProvider, {
      publish: async (doi: string, attributes: Record<string, unknown>) => (doi.endsWith('/v1') ? local.publish(doi, attributes) : local.publish(doi, { ...attributes, titles: [] })),
    });
    expect(await publishing({ provider: refusesConcept }).register('concept-refused', 1)).toMatchObject({ state: 'publish_failed', reason: expect.stringMatching(/titles/), doiRegistered: true });
    expect((await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.concept-refused/v1`))?.state).toBe('registered');
    // The agency holds a DOI of it, so its name is reserved as any published one's.
    expect(holdsDoi((await stores.versionStore.get('concept-refused', 1))?.publication)).toBe(true);
    // Asked again with the agency willing, it is published: the same DOI, findable again.
    await publishing().request(alice, 'concept-refused', 1);
    expect((await publishing().register('concept-refused', 1))?.state).toBe('published');
    expect((await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.concept-refused/v1`))?.state).toBe('findable');
  });

  it('settles a registration whose concept DOI and then whose hiding are both refused, saying so', async () => {
    await modelWithVersion('hide-refused');
    await publishing().request(alice, 'hide-refused', 1);
    const local = localDoiProvider(dois);
    const refusing: DoiProvider = Object.assign(Object.create(local) as DoiProvider, {
      publish: async (doi: string, attributes: Record<string, unknown>) => (doi.endsWith('/v1') ? local.publish(doi, attributes) : local.publish(doi, { ...attributes, titles: [] })),
      hide: async (doi: string, attributes: Record<string, unknown>) => local.hide(doi, { ...attributes, titles: [] }),
    });
    expect(await publishing({ provider: refusing }).register('hide-refused', 1)).toMatchObject({
      state: 'publish_failed', doiRegistered: true, reason: expect.stringMatching(/titles.*could not be hidden: titles/),
    });
    expect((await stores.versionStore.get('hide-refused', 1))?.publication?.state).toBe('publish_failed');
  });

  it('keeps the concept DOI findable when a withdrawal job that decided from an old list writes after a newer publication', async () => {
    await modelWithVersion('concept-stale');
    await stores.direct.addVersion(alice, 'concept-stale', { bytes: await sampleBundle('mnist', [{ name: 'mnist/two.txt', content: '2' }]) });
    await publishing().request(alice, 'concept-stale', 1);
    await publishing().register('concept-stale', 1);
    await removal.deleteVersion(alice, 'concept-stale', 1);
    const local = localDoiProvider(dois);
    const gate = signal();
    const atConcept = signal();
    // v1's withdrawal saw no version left and is about to hide the concept DOI when it pauses.
    const paused: DoiProvider = Object.assign(Object.create(local) as DoiProvider, {
      get: async (doi: string) => {
        if (!doi.endsWith('/v1')) {
          atConcept.fire();
          await gate.fired;
        }
        return local.get(doi);
      },
    });
    const withdrawing = publishing({ provider: paused }).withdraw('concept-stale', 1);
    await atConcept.fired;
    await publishing().request(alice, 'concept-stale', 2);
    expect((await publishing().register('concept-stale', 2))?.state).toBe('published');
    gate.fire();
    await withdrawing;
    expect((await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.concept-stale`))?.state).toBe('findable');
  });

  it('asks again for the hiding of a withdrawn version whenever it is deleted again', async () => {
    await modelWithVersion('delete-again');
    await publishing().request(alice, 'delete-again', 1);
    await publishing().register('delete-again', 1);
    await removal.deleteVersion(alice, 'delete-again', 1);
    await publishing().advance('delete-again', 1);
    sent.length = 0;
    expect(await settled(removal.deleteVersion(alice, 'delete-again', 1))).toMatchObject({ code: 'version_withdrawn' });
    expect(sent).toEqual(['delete-again v1']);
    // And once its model is withdrawn too, by its owner only: anyone else just reads the tombstone.
    const modelRemoval = new ModelRemoval({ models: stores.models, bundles: stores.bundles, versions: removal, urlLifetimeMs: 1000 });
    await stores.direct.addVersion(alice, 'delete-again', { bytes: await sampleBundle('mnist') });
    await modelRemoval.deleteModel(alice, 'delete-again');
    sent.length = 0;
    expect(await settled(removal.deleteVersion(userActor('mallory', 'session'), 'delete-again', 1))).toMatchObject({ code: 'version_withdrawn' });
    expect(await settled(modelRemoval.deleteModel(userActor('mallory', 'session'), 'delete-again'))).toMatchObject({ code: 'model_withdrawn' });
    expect(sent).toEqual([]);
    expect(await settled(removal.deleteVersion(alice, 'delete-again', 1))).toMatchObject({ code: 'version_withdrawn' });
    expect(await settled(modelRemoval.deleteModel(alice, 'delete-again'))).toMatchObject({ code: 'model_withdrawn' });
    expect(sent).toEqual(['delete-again v1', 'delete-again v1']);
  });
});

describe('DOI work whose message was lost', () => {
  it('is sent again by the sweep once it waited past its grace, until it is done', async () => {
    await modelWithVersion('lost-message');
    // Asked for long ago; its message never arrived.
    const then = () => new Date(Date.now() - DOI_WORK_GRACE_MS - 60_000);
    await publishing({ now: then }).request(alice, 'lost-message', 1);
    const resent: string[] = [];
    const sweep = new PendingSweep({
      removal: stores.removal, versions: stores.versionStore, sessions: stores.sessionStore, bundles: stores.bundles, finalizer: stores.finalizer,
      doiWork: async (name, version) => {
        resent.push(`${name} v${version}`);
        await publishing().advance(name, version);
      },
    });
    expect((await sweep.sweep(Date.now() + 30_000)).doiWorkResent).toBeGreaterThanOrEqual(1);
    expect(resent).toContain('lost-message v1');
    expect((await stores.versionStore.get('lost-message', 1))?.publication?.state).toBe('published');

    // A withdrawal whose hiding was lost, too; work within its grace waits.
    await new VersionRemoval({ models: stores.models, versions: stores.versionStore, sessions: stores.sessionStore, bundles: stores.bundles, now: then })
      .deleteVersion(alice, 'lost-message', 1);
    await modelWithVersion('fresh-work');
    await publishing().request(alice, 'fresh-work', 1);
    resent.length = 0;
    await sweep.sweep(Date.now() + 30_000);
    expect(resent).toContain('lost-message v1');
    expect(resent).not.toContain('fresh-work v1');
    expect((await dois.get(`${LOCAL_DOI_PREFIX}/mlhub.lost-message/v1`))?.state).toBe('registered');
    // Done work leaves the index: nothing is sent again.
    resent.length = 0;
    await sweep.sweep(Date.now() + 30_000);
    expect(resent).not.toContain('lost-message v1');
  });
});

describe('a model with DOIs', () => {
  it('is withdrawn when deleted, keeps its name, and a delete interrupted half-way is finished as a withdrawal', async () => {
    await modelWithVersion('model-withdrawn');
    await publishing().request(alice, 'model-withdrawn', 1);
    await publishing().register('model-withdrawn', 1);
    const modelRemoval = new ModelRemoval({ models: stores.models, bundles: stores.bundles, versions: removal, urlLifetimeMs: 1000 });
    // The caller died right after the delete began: the sweep's finishing withdraws it with the reason given.
    await stores.models.beginDelete('model-withdrawn', new Date(Date.now() - 120_000).toISOString(), 'any', 'Superseded');
    expect(await modelRemoval.finishInterrupted(new Date().toISOString(), 10)).toContain('model-withdrawn');
    expect(await stores.models.getModelRecord('model-withdrawn')).toMatchObject({
      state: 'withdrawn', title: 'Digits',
      withdrawal: { reason: 'Superseded', conceptDoi: `${LOCAL_DOI_PREFIX}/mlhub.model-withdrawn`, versions: [{ version: 1, doi: `${LOCAL_DOI_PREFIX}/mlhub.model-withdrawn/v1` }] },
    });
    expect((await stores.versionStore.get('model-withdrawn', 1))?.publication).toMatchObject({ state: 'withdrawn', withdrawalReason: 'Superseded' });
    expect(await settled(stores.registry.createModel(userActor('bob', 'session'), 'model-withdrawn', FULL_METADATA))).toMatchObject({ code: 'model_exists' });
  });

  it('answers with its tombstone (410), never 404, while its withdrawal goes on: from the first write of a delete, and of a delete resumed by the sweep', async () => {
    const anyone = userActor('carol', 'session');
    for (const how of ['deleted', 'resumed'] as const) {
      const name = `withdrawing-${how}`;
      await modelWithVersion(name);
      await publishing().request(alice, name, 1);
      await publishing().register(name, 1);
      const gate = signal();
      const inside = signal();
      // The bundles go while the record says it is being deleted: the delete waits there.
      const bundles = Object.create(stores.bundles) as typeof stores.bundles;
      bundles.deletePrefix = async (prefix) => {
        inside.fire();
        await gate.fired;
        return stores.bundles.deletePrefix(prefix);
      };
      const modelRemoval = new ModelRemoval({ models: stores.models, bundles, versions: removal, urlLifetimeMs: 1000 });
      const ending = how === 'deleted'
        ? modelRemoval.deleteModel(alice, name, 'any', 'Superseded')
        // A delete begun before a model being withdrawn had its tombstone, and left for the sweep.
        : stores.models.beginDelete(name, new Date(Date.now() - 120_000).toISOString(), 'any', 'Superseded').then(() => modelRemoval.finishInterrupted(new Date().toISOString(), 10));
      await inside.fired;
      expect(await settled(stores.registry.getModel(anyone, name)), how).toMatchObject({
        code: 'model_withdrawn', kind: 'gone',
        details: { tombstone: { reason: 'Superseded', concept_doi: `${LOCAL_DOI_PREFIX}/mlhub.${name}`, versions: [{ version: 1, doi: `${LOCAL_DOI_PREFIX}/mlhub.${name}/v1` }] } },
      });
      gate.fire();
      await ending;
      expect((await stores.models.getModelRecord(name))?.state, how).toBe('withdrawn');
      expect(await settled(stores.registry.getModel(anyone, name)), how).toMatchObject({ code: 'model_withdrawn' });
    }
  });

  it('stays public: a change to private racing a publish is undone, whichever write lands last', async () => {
    for (let round = 0; round < 4; round += 1) {
      const name = `private-race-${round}`;
      await modelWithVersion(name);
      await Promise.all([settled(publishing().request(alice, name, 1)), settled(stores.registry.setAccess(alice, name, { visibility: 'private' }))]);
      const model = await stores.models.getModelRecord(name);
      if (holdsDoi((await stores.versionStore.get(name, 1))?.publication)) expect(model?.visibility, name).toBe('public');
    }
  });
});
