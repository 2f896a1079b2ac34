import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importInFreshNode } from '../../bench/support/fresh-import';
import { bundleHandlers, DEPLOYED_HANDLERS, type HandlerBundle } from '../../bench/support/handler-bundles';
import { FALLBACK_HANDLER, ROUTES } from '../../functions/routes/route-table';
import { HANDLER_NODE_OPTIONS } from '../../lib/functions/handler-bundling';

let workdir: string;
let bundles: HandlerBundle[];

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'mlhub-handler-bundles-'));
  bundles = await bundleHandlers(DEPLOYED_HANDLERS, workdir);
}, 120_000);

afterAll(async () => {
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

describe('handler bundles', () => {
  it('covers every handler the route table names, and the fallback', () => {
    expect(new Set(bundles.map((bundle) => bundle.handler))).toEqual(new Set([...ROUTES.map((route) => route.handler), FALLBACK_HANDLER]));
  });

  it.each(DEPLOYED_HANDLERS.map((handler) => [handler]))('%s imports in a fresh node process, with no configuration, and exports its handler', async (handler) => {
    const bundle = bundles.find((candidate) => candidate.handler === handler) as HandlerBundle;
    const imported = await importInFreshNode(bundle.file, { nodeOptions: HANDLER_NODE_OPTIONS });
    expect(imported.exports).toContain('handler');
    expect(imported.stderr).toBe('');
  });

  it('notices a bundle that needs a module it does not contain', async () => {
    const broken = join(workdir, 'broken.mjs');
    await writeFile(broken, "import 'mlhub-no-such-package';\nexport const handler = () => {};\n");
    await expect(importInFreshNode(broken)).rejects.toThrow(/Cannot find package 'mlhub-no-such-package'/);
  });
});
