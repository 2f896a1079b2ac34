import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPidFile } from '../../../local/sagemaker/leftover-workers';

describe('the local workers record (workers.json)', () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("keeps a redeployed endpoint's new worker when the old worker's exit is seen after it started (review 14b finding 4)", async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlhub-pids-'));
    const file = new WorkerPidFile(join(dir, 'workers.json'));
    // Undeploy then deploy the same version: the endpoint's name is the same, the new worker records its pid first.
    file.set('mlhub-deploy-iris-v1-abc', 1001);
    file.set('mlhub-deploy-iris-v1-abc', 1002);
    file.forget('mlhub-deploy-iris-v1-abc', 1001);
    await file.settled();
    expect(JSON.parse(await readFile(join(dir, 'workers.json'), 'utf8'))).toEqual({ 'mlhub-deploy-iris-v1-abc': 1002 });
    file.forget('mlhub-deploy-iris-v1-abc', 1002);
    await file.settled();
    expect(JSON.parse(await readFile(join(dir, 'workers.json'), 'utf8'))).toEqual({});
  });
});
