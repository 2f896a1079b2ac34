import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';

const run = promisify(execFile);

let mlhub: RunningMlhub;
let workDir: string;

/** Runs one of the seed's curl commands exactly as written, with only the port filled in. */
async function seedCurl(command: string): Promise<Buffer> {
  const { stdout } = await run('sh', ['-c', command.replaceAll('localhost:port', `localhost:${mlhub.port}`)], { cwd: workDir, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

const parse = (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;

beforeAll(async () => {
  mlhub = await startMlhub();
  workDir = await mkdtemp(join(tmpdir(), 'mlhub-seed-'));
  // The researcher's bundle, made the TFaaS way: tar cfz mnist.tar.gz mnist
  await mkdir(join(workDir, 'mnist'));
  await writeFile(join(workDir, 'mnist', 'model.onnx'), Buffer.from('weights'.repeat(1000)));
  await writeFile(join(workDir, 'mnist', 'labels.txt'), '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
  await run('tar', ['cfz', 'mnist.tar.gz', 'mnist'], { cwd: workDir });
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
  if (workDir) await removeDataDir(workDir);
});

describe("the seed's curl commands, as written", () => {
  it('create, fetch, update, list, upload, download and delete a model', async () => {
    const created = parse(await seedCurl(`curl -X POST \\
-H "content-type: application/json" \\
-d '{"model": "mnist", "type": "TensorFlow", "meta": {}}' \\
http://localhost:port/model/mnist`));
    expect(created).toMatchObject({ model: 'mnist', type: 'TensorFlow', meta: {}, versions: [] });

    const fetched = parse(await seedCurl('curl http://localhost:port/model/mnist'));
    expect(fetched).toMatchObject({ model: 'mnist', type: 'TensorFlow', meta: {} });

    const updated = parse(await seedCurl(`curl -X PUT \\
-H "content-type: application/json" \\
-d '{"model": "mnist", "type": "TensorFlow", "meta": {"param": 1}}' \\
http://localhost:port/model/mnist`));
    expect(updated).toMatchObject({ model: 'mnist', meta: { param: 1 }, revision: 2 });

    const listed = JSON.parse((await seedCurl('curl http://localhost:port/models')).toString()) as { model: string }[];
    expect(listed.map((model) => model.model)).toContain('mnist');

    const uploaded = parse(await seedCurl(`curl -X POST -H "Content-Encoding: gzip" \\
-H "content-type: application/octet-stream" \\
--data-binary @./mnist.tar.gz \\
http://localhost:port/model/mnist/upload`));
    const original = await readFile(join(workDir, 'mnist.tar.gz'));
    const originalSha = createHash('sha256').update(original).digest('hex');
    expect(uploaded).toMatchObject({ model: 'mnist', version: 1, status: 'ready', sha256: originalSha, size: original.length });

    const downloaded = await seedCurl('curl http://localhost:port/model/mnist/download');
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(originalSha);

    const withVersion = parse(await seedCurl('curl http://localhost:port/model/mnist'));
    expect(withVersion).toMatchObject({ latest_version: 1, versions: [{ version: 1, sha256: originalSha }] });

    const deleted = parse(await seedCurl(`curl -X DELETE \\
http://localhost:port/model/mnist`));
    expect(deleted).toMatchObject({ model: 'mnist', deleted: true, versions_deleted: 1 });

    const gone = parse(await seedCurl('curl http://localhost:port/model/mnist'));
    expect(gone).toMatchObject({ error: { code: 'model_not_found' } });
  });
});
