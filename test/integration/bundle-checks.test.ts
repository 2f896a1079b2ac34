import { readFile } from 'node:fs/promises';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKET } from '../../local/local-resources';
import { call, expectError, json } from '../support/http';
import { removeDataDir, startMlhub, type RunningMlhub } from '../support/local-runtime';
import { bucketReader } from '../support/s3-inspect';
import { macOsMetadataEntries, makeTar, makeTarGz, type TarEntry } from '../support/tarballs';

const MiB = 1024 * 1024;
const UNPACKED_LIMIT = 16 * MiB;
let mlhub: RunningMlhub;
const api = (method: string, path: string, init?: Parameters<typeof call>[3]) => call(mlhub.url, method, path, init);
const octets = (body: Buffer) => ({ body, headers: { 'content-type': 'application/gzip' } });
const demoFile = (name: string) => readFile(new URL(`../../models/demo/${name}`, import.meta.url));
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

interface Version { status: string; builtin_runtime: unknown; unpacked_bytes: number }

beforeAll(async () => {
  mlhub = await startMlhub({ env: { MLHUB_MAX_UNPACKED_BYTES: String(UNPACKED_LIMIT) } });
});

afterAll(async () => {
  await mlhub?.stop();
  if (mlhub) await removeDataDir(mlhub.dataDir);
});

/** Uploads a bundle that must be refused, and shows that nothing of it was kept. */
async function expectRefused(name: string, bundle: Buffer, reason: RegExp): Promise<void> {
  expect((await api('POST', `/model/${name}`, json({ type: 'onnx' }))).status).toBe(201);
  expectError(await api('POST', `/model/${name}/upload`, octets(bundle)), 400, 'invalid_bundle', reason);
  expect((await api('GET', `/model/${name}`)).body).toMatchObject({ latest_version: null, versions: [] });
  expect(await bucketReader(mlhub.s3Endpoint).keys(`models/${name}/`)).toEqual([]);
  expect(mlhub.output()).not.toMatch(/Unhandled|ERR_STREAM|uncaught/i);
}

describe('bundle checks over HTTP', () => {
  it('refuses the link chain d -> ., d/l -> .. with 400 naming the entry, and stores nothing', async () => {
    const chain = await makeTarGz([
      { name: 'model.onnx', content: 'w' },
      { name: 'd', type: 'symlink', linkname: '.' },
      { name: 'd/l', type: 'symlink', linkname: '..' },
    ]);
    await expectRefused('link-chain', chain, /Entry 'd\/l' would be written through the symlink 'd'/);
  });

  it('refuses a link that a later link sends out of the bundle', async () => {
    const later = await makeTarGz([
      { name: 'model.onnx', content: 'w' },
      { name: 'l', type: 'symlink', linkname: 'x/..' },
      { name: 'x', type: 'symlink', linkname: '.' },
    ]);
    await expectRefused('link-later', later, /Entry 'l' is a symlink that points outside the bundle/);
  });

  it('refuses a bomb hidden after the tar end-of-archive, counting what it inflates to', async () => {
    const bomb = gzipSync(Buffer.concat([await makeTar([{ name: 'model.onnx', content: 'w' }]), Buffer.alloc(64 * MiB)]));
    expect(bomb.length).toBeLessThan(128 * 1024);
    await expectRefused('bomb', bomb, new RegExp(`unpacks to more than ${UNPACKED_LIMIT} bytes`));
  });

  it('refuses the same bomb sent through a presigned upload, at complete, and keeps no bytes', async () => {
    const bomb = gzipSync(Buffer.concat([await makeTar([{ name: 'model.onnx', content: 'w' }]), Buffer.alloc(64 * MiB)]));
    expect((await api('POST', '/model/bomb-presigned', json({ type: 'onnx' }))).status).toBe(201);
    const started = await api('POST', '/model/bomb-presigned/uploads', json({ size: bomb.length }));
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const session = started.body as { upload_id: string; urls: { url: string; headers?: Record<string, string> }[] };
    expect(session.urls).toHaveLength(1);
    // Any headers the URL was signed with (such as If-None-Match) go with the PUT.
    expect((await fetch(session.urls[0]!.url, { method: 'PUT', body: bomb, headers: session.urls[0]!.headers ?? {} })).status).toBe(200);
    const reason = new RegExp(`unpacks to more than ${UNPACKED_LIMIT} bytes`);
    expectError(await api('POST', `/model/bomb-presigned/uploads/${session.upload_id}/complete`), 400, 'bundle_rejected', reason);
    expect((await api('GET', '/model/bomb-presigned')).body).toMatchObject({ latest_version: null, versions: [{ status: 'rejected', reason: expect.stringMatching(reason) }] });
    // An ended upload's key keeps an empty marker, so its URL cannot write again; no bytes stay.
    const stored = await bucketReader(mlhub.s3Endpoint).client.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET, Prefix: 'models/bomb-presigned/' }));
    expect((stored.Contents ?? []).map((object) => object.Size)).toEqual((stored.Contents ?? []).map(() => 0));
  });

  it('refuses a GNU sparse entry naming it and its type', async () => {
    const sparse = await makeTarGz([{ name: 'w.bin', content: 'x', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0' } }]);
    await expectRefused('sparse', sparse, /Entry 'w\.bin' is a GNU sparse file/);
  });

  it('runs a bundle made on macOS, AppleDouble files and all, with its own labels', async () => {
    const files: TarEntry[] = [
      { name: 'mnist/', type: 'directory' },
      { name: 'mnist/model.onnx', content: await demoFile('mnist/model.onnx') },
      { name: 'mnist/labels.txt', content: `${WORDS.join('\n')}\n` },
      { name: 'mnist/params.json', content: await demoFile('mnist/params.json') },
    ];
    const [topAppleDouble, ...metadata] = macOsMetadataEntries('mnist', ['model.onnx', 'labels.txt', 'params.json']);
    // As `tar czf b.tar.gz ._mnist mnist` writes it on a Mac: the top ._ file first.
    const bundle = await makeTarGz([topAppleDouble!, ...files, ...metadata]);
    expect((await api('POST', '/model/mac-made', json({ type: 'onnx' }))).status).toBe(201);
    const uploaded = await api('POST', '/model/mac-made/upload', octets(bundle));
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body).toMatchObject({ status: 'ready', builtin_runtime: { runnable: true, model_file: 'model.onnx' } });

    for (const digit of [3, 7]) {
      const reply = await api('POST', '/model/mac-made/predict', { body: await demoFile(`images/img${digit}.json`), headers: { 'content-type': 'application/json' } });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect((reply.body as { predictions: { label?: string }[] }).predictions[0]?.label).toBe(WORDS[digit]);
    }
  });

  it('accepts a bundle the built-in runtime cannot run, and says why at upload time', async () => {
    expect((await api('POST', '/model/remote-only', json({ type: 'pytorch' }))).status).toBe(201);
    const uploaded = await api('POST', '/model/remote-only/upload', octets(await makeTarGz([{ name: 'm/model.pt', content: 'weights' }])));
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({
      status: 'ready',
      builtin_runtime: { runnable: false, reason: expect.stringMatching(/built-in ONNX Runtime cannot run this bundle: it holds no \.onnx file\..*SageMaker/) },
    });
    const listed = (await api('GET', '/model/remote-only')).body as { versions: Version[] };
    expect(listed.versions[0]?.builtin_runtime).toEqual((uploaded.body as Version).builtin_runtime);
  });
});
