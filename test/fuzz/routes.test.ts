import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '../../functions/routes/route-table';
import { FUZZ_ENV, fuzzSettings, routeSeed } from '../support/fuzz/fuzz-settings';
import { loadFuzzAssets, type FuzzAssets } from '../support/fuzz/fuzz-assets';
import { buildFixtures, openCallers, type Callers, type Fixtures } from '../support/fuzz/fuzz-world';
import { closeRawConnections, sendRaw } from '../support/fuzz/raw-http';
import { replyProblems } from '../support/fuzz/reply-checks';
import { describeRequest, routeRequests, type FuzzRequest } from '../support/fuzz/route-requests';
import { stateChanges, stateReader, type StateReader, type StateSnapshot } from '../support/fuzz/state-snapshot';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

/*
 * Every route in the route table, fed generated requests (names, query strings, headers, bodies,
 * encodings) against one MLHub started as `npm start` does, with sign-in required. No answer may
 * be a 5xx, every 4xx must be MLHub's JSON error, and a refused request must leave every stored
 * item and object as it was. Seeded and time-boxed: see fuzz-settings.ts.
 */

const settings = fuzzSettings();
const reproduce = `${FUZZ_ENV.seed}=${settings.seed} npx vitest run test/fuzz/routes.test.ts`;

let mlhub: RunningMlhub;
let assets: FuzzAssets;
let callers: Callers;
let state: StateReader;
let fixtures: Fixtures | undefined;
/** The request MLHub was answering when its connection broke: the one that took it down, not the ones refused after. */
let fatalRequest: string | undefined;
let deadline = 0;

/** Each route gets at least this long, so a slow route still runs some requests when earlier ones used the box. */
const MIN_ROUTE_MS = 500;
/** A request is never cut off for time (a run fast-check abandons counts for nothing); one past this is stuck. */
const REQUEST_TIMEOUT_MS = 10_000;
const SETTLE_POLL_MS = 25;
const SETTLE_LIMIT_MS = 2000;

/**
 * The state once background work a write may have started (storage events) has finished: two
 * reads a moment apart that agree.
 */
async function settledSnapshot(): Promise<StateSnapshot> {
  const giveUp = Date.now() + SETTLE_LIMIT_MS;
  let previous = await state.snapshot();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const current = await state.snapshot();
    if (stateChanges(previous, current).length === 0 || Date.now() > giveUp) return current;
    previous = current;
  }
}

beforeAll(async () => {
  // The pending sweep is off: a change it made on its timer would be blamed on whichever refused request was being checked.
  mlhub = await startMlhub({ env: { MLHUB_AUTH: 'required', MLHUB_SWEEP_SECONDS: '0' } });
  assets = await loadFuzzAssets();
  callers = await openCallers(mlhub);
  state = stateReader(mlhub);
  deadline = Date.now() + settings.totalMs;
});

afterAll(async () => {
  closeRawConnections();
  state?.close();
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

/** The fixtures, rebuilt under new names when fuzzing an earlier route deleted some (a model, an upload, a token). */
async function currentFixtures(index: number): Promise<Fixtures> {
  if (!fixtures || !(await fixtures.intact())) fixtures = await buildFixtures(mlhub, callers, `fz${index}`, assets);
  return fixtures;
}

async function fuzzRoute(route: RouteSpec, index: number): Promise<void> {
  if (fatalRequest) throw new Error(`MLHub went down earlier, while answering:\n${fatalRequest}`);
  const { world } = await currentFixtures(index);
  const routesLeft = ROUTES.length - index;
  const timeLimit = Math.max(MIN_ROUTE_MS, Math.floor((deadline - Date.now()) / routesLeft));
  // Past its time the property sends nothing more, so runs left pass at once; fast-check's own
  // interruption is only the backstop for a run that outlives any request.
  const sendUntil = Date.now() + timeLimit;
  const outputBefore = mlhub.output().length;
  let before = await settledSnapshot();
  // fast-check abandons a run still going at the time limit; its request must end before the next route reads the state.
  let inFlight: Promise<unknown> = Promise.resolve();

  const answers = new Map<string, number>();
  const property = fc.asyncProperty(routeRequests(route, world, assets), async (request: FuzzRequest) => {
    if (Date.now() > sendUntil) return;
    if (fatalRequest) throw new Error(`MLHub is down since:\n${fatalRequest}`);
    const sent = sendRaw(mlhub.url, request, REQUEST_TIMEOUT_MS);
    inFlight = sent.catch(() => undefined);
    const reply = await sent.catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ETIMEDOUT') fatalRequest = `${describeRequest(request)}\n(${error.code ?? error.message})`;
      throw error;
    });
    const answer = `${reply.status}${reply.status >= 400 ? ` ${/"code":"([^"]*)"/.exec(reply.body.toString('utf8'))?.[1] ?? ''}` : ''}`;
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
    const problems = replyProblems(request.method, reply);
    if (reply.status >= 400 && reply.status < 500) {
      const after = await state.snapshot();
      const changes = stateChanges(before, after);
      if (changes.length > 0) problems.push(`refused with ${reply.status} ${reply.body.toString('utf8').slice(0, 200)}, yet changed the stored state:\n  ${changes.slice(0, 10).join('\n  ')}`);
      before = after;
    } else if (request.method !== 'HEAD') {
      // A served GET changes state too: a download or a prediction counts a use (functions/usage/).
      before = await settledSnapshot();
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });

  try {
    await fc.assert(property, {
      seed: routeSeed(settings.seed, route.id),
      numRuns: settings.runsPerRoute,
      interruptAfterTimeLimit: timeLimit + 2 * REQUEST_TIMEOUT_MS,
      markInterruptAsFailure: false,
    });
    await inFlight;
    if (settings.stats) console.log(`${route.id} in ${timeLimit} ms: ${[...answers].sort(([a], [b]) => (a < b ? -1 : 1)).map(([answer, count]) => `${answer} ×${count}`).join(', ')}`);
  } catch (error) {
    await inFlight;
    const log = mlhub.output().slice(outputBefore).slice(-4000);
    const fatal = fatalRequest ? `MLHub's connection broke while it answered this request:\n${fatalRequest}\n` : '';
    throw new Error(`Fuzzing ${route.method} ${route.path} (${route.id}) failed. Reproduce with: ${reproduce}\n${fatal}${(error as Error).message}\n--- MLHub's output meanwhile ---\n${log}`, { cause: error });
  }
}

describe('the state a refused request must leave alone', () => {
  it('is read whole, and a write shows in it', async () => {
    const { world } = await currentFixtures(0);
    const before = await settledSnapshot();
    expect([...before.keys()].some((key) => key.startsWith('object '))).toBe(true);
    const created = await sendRaw(mlhub.url, {
      method: 'PUT', target: `/model/${world.names[0]}`, body: Buffer.from('{"description":"seen by the snapshot"}'),
      headers: [['authorization', callers.owner], ['content-type', 'application/json']],
    });
    expect(created.status, created.body.toString()).toBe(200);
    expect(stateChanges(before, await settledSnapshot()).join('\n')).toContain('seen by the snapshot');
  });
});

describe('requests the fuzzer found taking MLHub down', () => {
  // A multipart body that ends inside a file part: busboy emitted an error on the part's stream
  // that nothing listened to, and the process exited. Every route that reads forms is tried.
  it.each(ROUTES.filter((route) => route.body === 'bundle' || route.body === 'predict').map((route) => [route.id, route] as const))(
    '%s refuses a form cut short inside a file part, and stays up',
    async (_id, route) => {
      const { world } = await currentFixtures(0);
      const body = Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc');
      const reply = await sendRaw(mlhub.url, {
        method: route.method, target: route.path.replace('{name}', world.names[0] as string), body,
        headers: [['authorization', callers.owner], ['content-type', 'multipart/form-data; boundary=b']],
      });
      expect(reply.status, reply.body.toString()).toBe(400);
      expect(JSON.parse(reply.body.toString())).toMatchObject({ error: { code: 'invalid_multipart' } });
      expect((await sendRaw(mlhub.url, { method: 'GET', target: '/status', headers: [], body: Buffer.alloc(0) })).status).toBe(200);
    },
  );
});

describe(`every route, fuzzed (${FUZZ_ENV.seed}=${settings.seed})`, () => {
  it.each(ROUTES.map((route, index) => [route.id, route, index] as const))(
    '%s: no 5xx, errors as JSON, and a refused request changes nothing',
    async (_id, route, index) => fuzzRoute(route, index),
    settings.totalMs + 60_000,
  );

  it('leaves MLHub up and answering', async () => {
    const reply = await sendRaw(mlhub.url, { method: 'GET', target: '/status', headers: [], body: Buffer.alloc(0) });
    expect(reply.status, mlhub.output().slice(-2000)).toBe(200);
    expect(() => process.kill(mlhub.pid, 0)).not.toThrow();
  });
});
