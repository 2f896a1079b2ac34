import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites each start a local runtime (dynalite, s3rver, gateway) in a child process.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker per core less one: a single worker on CI's 2 cores. Most
    // integration time is spent waiting on a child MLHub (its checks, sweeps and expiries), so
    // four files at a time keep both cores busy.
    maxWorkers: 4,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    setupFiles: ['test/support/cdk/outdir-per-file.ts'],
  },
});
