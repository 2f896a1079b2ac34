import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const folders = new Set<string>();

/**
 * A new folder under the OS temporary directory (`<tmpdir>/<prefix>XXXXXX`) for files a synth
 * builds before CDK stages them (scripts archives, the packages copied into handler bundles),
 * removed when the process exits. It may go then: AssetStaging copies an asset's files into the
 * cloud assembly when the construct is made, and bundling's commands run at the same time, so
 * nothing reads these folders after the synth. Without it every `cdk synth` and every infra test
 * left its folders behind (thousands, gigabytes, over a few hundred test runs).
 */
export function synthScratchDir(prefix: string): string {
  if (folders.size === 0) process.once('exit', removeSynthScratchDirs);
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.add(folder);
  return folder;
}

/** Removes every folder synthScratchDir gave; what the exit hook does, for hosts that end a process without its exit event (test workers). */
export function removeSynthScratchDirs(): void {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}
