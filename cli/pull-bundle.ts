import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { ApiClient, modelPath } from './api-client';
import { replaceWhole } from './atomic-file';
import { CliError } from './cli-error';
import { downloadToFile } from './file-transfer';

export interface PullResult {
  readonly model: string;
  readonly version: number;
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Downloads a version to a file, following MLHub's redirect to S3 for large bundles, and checks
 * the bytes against the sha256 MLHub recorded; a partial or wrong file is never left behind.
 */
export async function pullBundle(api: ApiClient, name: string, options: { version?: number; output?: string; onBytes?: (done: number, total: number) => void }): Promise<PullResult> {
  const query = options.version ? `?version=${options.version}` : '';
  const response = await api.request('GET', `${modelPath(name)}/download${query}`, { redirect: 'manual' });
  if (response.status !== 200 && response.status !== 302) await ApiClient.read(response, 'download');
  const expected = response.headers.get('x-mlhub-sha256') ?? '';
  const version = Number(response.headers.get('x-mlhub-version'));
  const file = options.output ?? `${name}-v${version}.tar.gz`;
  return replaceWhole(file, async (partial) => {
    let written: { sha256: string; size: number };
    if (response.status === 302) {
      const redirect = (await response.json()) as { url: string; size: number };
      let done = 0;
      written = await downloadToFile(redirect.url, partial, (count) => options.onBytes?.((done += count), redirect.size));
    } else {
      const bytes = Buffer.from(await response.arrayBuffer());
      await writeFile(partial, bytes);
      options.onBytes?.(bytes.length, bytes.length);
      written = { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    }
    if (expected && written.sha256 !== expected) throw new CliError(`The download's sha256 ${written.sha256} differs from the recorded ${expected}`);
    return { model: name, version, file, size: written.size, sha256: written.sha256 };
  });
}
