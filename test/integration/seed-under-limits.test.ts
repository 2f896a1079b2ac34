import { afterAll, describe, expect, it } from 'vitest';
import { startMlhub, type RunningMlhub } from '../support/local-runtime';

let mlhub: RunningMlhub | undefined;

afterAll(async () => {
  await mlhub?.stop();
});

describe('npm start on a fresh data folder under limits the demo seeding cannot meet', () => {
  it('logs one line that the demo model was not seeded, and keeps serving', async () => {
    mlhub = await startMlhub({ env: { MLHUB_RATE_LIMITS: 'read=1000000/24h,write=1/86400s,predict=2/1440m' } });
    const output = mlhub.output();
    expect(output).toMatch(/^The demo model demo-mnist was not seeded: .*429.*$/m);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('created the public model demo-mnist');
    const response = await fetch(`${mlhub.url}/model/demo-mnist`);
    expect(response.status).toBe(200);
  }, 60_000);
});
