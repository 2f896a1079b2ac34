import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes/route-table';
import { startGateway } from '../../local/gateway';

/** A gateway whose every route answers with the environment's MLHUB_TEST_READY, as a handler reading its settings would. */
async function gateway(ready: Promise<void>) {
  return startGateway({
    host: '127.0.0.1', port: 0, routes: ROUTES, fallbackModule: 'fallback', ready,
    loadHandler: async () => async () => ({ statusCode: 200, body: process.env.MLHUB_TEST_READY ?? 'unset' }),
  });
}

describe('the local gateway before the runtime is ready', () => {
  it('listens at once, and holds requests until the runtime opens: a handler never runs with the settings still missing', async () => {
    delete process.env.MLHUB_TEST_READY;
    let open!: () => void;
    const ready = new Promise<void>((resolve) => { open = resolve; });
    const running = await gateway(ready);
    try {
      const answer = fetch(`${running.url}/status`).then(async (response) => [response.status, await response.text()]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      process.env.MLHUB_TEST_READY = 'set';
      open();
      expect(await answer).toEqual([200, 'set']);
    } finally {
      delete process.env.MLHUB_TEST_READY;
      await running.close();
    }
  });

  it('answers 500 to the requests it held when the start fails', async () => {
    let fail!: (error: Error) => void;
    const ready = new Promise<void>((_, reject) => { fail = reject; });
    ready.catch(() => undefined);
    const running = await gateway(ready);
    try {
      const answer = fetch(`${running.url}/status`).then((response) => response.status);
      await new Promise((resolve) => setTimeout(resolve, 50));
      fail(new Error('the table could not be created'));
      expect(await answer).toBe(500);
    } finally {
      await running.close();
    }
  });
});
