/**
 * `npm run bench:upload`: writes bench/results/upload.md. A 1 GiB bundle goes to the local
 * runtime twice, in the same run: pushed by the `mlhub` CLI (presigned parts, 4 at a time), and
 * as a baseline uploaded by @aws-sdk/lib-storage (4 parts at a time) straight to the same S3
 * server. The CLI's peak RSS is read from /proc while it runs. Finalisation is timed from the
 * moment the baseline's object exists until its version is ready (the S3 event's check), beside
 * `sha256sum` on the same file.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { Upload } from '@aws-sdk/lib-storage';
import { pack } from 'tar-stream';
import { PROJECT_ROOT } from '../lib/functions/handler-bundling';
import { LOCAL_BUCKET } from '../local/local-resources';
import { openLocalIssuer } from '../local/local-issuer';
import { removeDataDir, startMlhub } from '../test/support/local-runtime';
import { bucketReader } from '../test/support/s3-inspect';

const run = promisify(execFile);
const SIZE = Number(process.env.BENCH_UPLOAD_BYTES) || 1024 ** 3;
const PARALLEL = 4;
const PART = 8 * 1024 * 1024;
const REPORT = join(PROJECT_ROOT, 'bench', 'results', 'upload.md');
const GOALS = { throughputRatio: 0.9, rssMb: 200, finalizeRatio: 1.5 };

/** A .tar.gz of `size` random bytes; gzip level 0 keeps it quick to make and the size exact-ish. */
async function makeBundle(path: string, size: number): Promise<void> {
  const archive = pack();
  const writing = pipeline(archive, createGzip({ level: 0 }), createWriteStream(path));
  const entry = archive.entry({ name: 'bench/weights.bin', size });
  let left = size;
  await pipeline(Readable.from((function* () {
    while (left > 0) {
      const chunk = randomBytes(Math.min(left, 4 * 1024 * 1024));
      left -= chunk.length;
      yield chunk;
    }
  })()), entry);
  archive.finalize();
  await writing;
}

function peakRss(pid: number): () => Promise<number> {
  let peak = 0;
  const timer = setInterval(() => {
    readFile(`/proc/${pid}/status`, 'utf8').then((status) => {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    }, () => undefined);
  }, 50);
  return async () => {
    clearInterval(timer);
    return peak;
  };
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const mibps = (bytes: number, secs: number) => bytes / 1024 / 1024 / secs;

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'mlhub-bench-upload-'));
  const file = join(scratch, 'bundle.tar.gz');
  await makeBundle(file, SIZE);
  const { size } = await stat(file);
  const mlhub = await startMlhub({ env: { MLHUB_ACCESS_LOG: 'off' } });
  try {
    const token = await (await openLocalIssuer(mlhub.dataDir)).sign('local', { expiresIn: '1h' });
    const env = { ...process.env, MLHUB_CONFIG: join(scratch, 'config.json'), MLHUB_URL: mlhub.url, MLHUB_TOKEN: token, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await fetch(`${mlhub.url}/model/bench-upload`, { method: 'POST', headers, body: JSON.stringify({ type: 'pytorch' }) });

    // The CLI, as a user runs it.
    const cliStarted = process.hrtime.bigint();
    const child = spawn(process.execPath, ['bin/mlhub.js', 'push', 'bench-upload', file, '--parallel', String(PARALLEL), '--json'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const readPeak = peakRss(child.pid ?? 0);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const cliSeconds = seconds(cliStarted);
    const cliRss = await readPeak();
    if (code !== 0) throw new Error(`mlhub push failed: ${stdout}`);
    const pushed = JSON.parse(stdout) as { version: number; partsTotal: number; phases: { hashing: number; uploading: number; completing: number } };

    // The baseline: lib-storage into a fresh upload session's key, so MLHub checks it as it would any upload.
    const session = await (await fetch(`${mlhub.url}/model/bench-upload/uploads`, { method: 'POST', headers, body: JSON.stringify({ size }) })).json() as { version: number; upload_id: string; urls: { url: string }[] };
    // Each upload has a key of its own; its part URLs name it (path-style: /<bucket>/<key>).
    const key = decodeURIComponent(new URL(session.urls[0]?.url ?? '').pathname.split('/').slice(2).join('/'));
    const { client } = bucketReader(mlhub.s3Endpoint);
    const baselineStarted = process.hrtime.bigint();
    await new Upload({ client, params: { Bucket: LOCAL_BUCKET, Key: key, Body: createReadStream(file) }, queueSize: PARALLEL, partSize: PART }).done();
    const baselineSeconds = seconds(baselineStarted);

    // Finalisation: from the stored object to a ready version, driven by the S3 event.
    const finalizeStarted = process.hrtime.bigint();
    const baselineEndToEnd = () => baselineSeconds + seconds(finalizeStarted);
    for (;;) {
      const model = await (await fetch(`${mlhub.url}/model/bench-upload`, { headers })).json() as { versions: { version: number; status: string }[] };
      const status = model.versions.find((version) => version.version === session.version)?.status;
      if (status === 'ready') break;
      if (status !== 'pending') throw new Error(`the baseline's version ended ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const finalizeSeconds = seconds(finalizeStarted);
    const baselineReadySeconds = baselineEndToEnd();
    const shaStarted = process.hrtime.bigint();
    await run('sha256sum', [file]);
    const shaSeconds = seconds(shaStarted);

    const throughputRatio = mibps(size, cliSeconds) / mibps(size, baselineSeconds);
    const finalizeRatio = finalizeSeconds / shaSeconds;
    const mark = (ok: boolean) => (ok ? '✅' : '❌');
    const lines = [
      '# Upload: the mlhub CLI against lib-storage, and finalisation against sha256sum',
      '',
      `Measured ${new Date().toISOString()} by \`npm run bench:upload\` on Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}.`,
      `Bundle: ${(size / 1024 ** 3).toFixed(2)} GiB .tar.gz of random bytes. Both uploads go to the local runtime's S3 server (s3rver behind`,
      `MLHub's SigV4 check) on loopback, ${PARALLEL} parts at a time; the CLI's parts are ${pushed.partsTotal} presigned parts.`,
      'The CLI\'s time is the whole `mlhub push`: hashing the file, starting the session, the parts, complete, the check and the',
      'sha256 comparison. The baseline is only the multipart upload.',
      '',
      '| Measure | MLHub | Baseline | Ratio | Goal |',
      '|---|---:|---:|---:|---|',
      `| Upload throughput | ${mibps(size, cliSeconds).toFixed(1)} MiB/s (${cliSeconds.toFixed(2)} s) | ${mibps(size, baselineSeconds).toFixed(1)} MiB/s (${baselineSeconds.toFixed(2)} s) | ${throughputRatio.toFixed(2)}× | ≥ 0.9× ${mark(throughputRatio >= GOALS.throughputRatio)} |`,
      `| Until the version is ready in MLHub | ${cliSeconds.toFixed(2)} s | ${baselineReadySeconds.toFixed(2)} s (upload, then MLHub's check) | ${(baselineReadySeconds / cliSeconds).toFixed(2)}× faster | |`,
      `| CLI peak RSS | ${(cliRss / 1024 / 1024).toFixed(0)} MB | | | ≤ 200 MB ${mark(cliRss / 1024 / 1024 <= GOALS.rssMb)} |`,
      `| Finalisation of the stored bundle | ${finalizeSeconds.toFixed(2)} s | sha256sum ${shaSeconds.toFixed(2)} s | ${finalizeRatio.toFixed(2)}× | ≤ 1.5× ${mark(finalizeRatio <= GOALS.finalizeRatio)} |`,
      '',
      `The CLI's own phase timings: hashing ${pushed.phases.hashing.toFixed(2)} s, sending parts ${pushed.phases.uploading.toFixed(2)} s`,
      `(${mibps(size, pushed.phases.uploading).toFixed(1)} MiB/s), complete ${pushed.phases.completing.toFixed(2)} s (S3 assembling the parts, then MLHub's`,
      'streaming check of size, sha256 and tar safety). Finalisation streams the object from S3 once; locally S3 is s3rver in the',
      'same process as the check, so both share one core.',
      '',
    ];
    await mkdir(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(REPORT, `${lines.join('\n')}\n`);
    console.log(lines.join('\n'));
  } finally {
    await mlhub.stop();
    await removeDataDir(mlhub.dataDir);
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
