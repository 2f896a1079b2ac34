import { afterAll, describe, expect, it } from 'vitest';
import { startMlhub, type RunningMlhub } from '../support/local-runtime';

let mlhub: RunningMlhub | undefined;

afterAll(async () => {
  await mlhub?.stop();
});

describe('npm start on a fresh data folder under limits the demo seeding cannot meet', () => {
  it('logs one line that the demo model was not seeded, and keeps serving', async () => {
    mlhub = await startMlhub({ demo: true, env: { MLHUB_RATE_LIMITS: 'read=1000000/24h,write=1/86400s,predict=2/1440m' } });
    const output = mlhub.output();
    expect(output).toMatch(/^The demo model demo-mnist was not seeded: .*429.*$/m);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('created the public model demo-mnist');
    const response = await fetch(`${mlhub.url}/model/demo-mnist`);
    expect(response.status).toBe(200);
  }, 60_000);
});

describe('npm start with MLHUB_DEMO_MODEL=off', () => {
  it('starts a new data folder empty: no demo model, no demo line', async () => {
    const empty = await startMlhub({ env: { MLHUB_DEMO_MODEL: 'off' } });
    try {
      expect(empty.output()).not.toMatch(/demo/);
      expect((await fetch(`${empty.url}/model/demo-mnist`)).status).toBe(404);
      expect(await (await fetch(`${empty.url}/models`)).json()).toEqual([]);
    } finally {
      await empty.stop();
    }
  }, 60_000);
});
