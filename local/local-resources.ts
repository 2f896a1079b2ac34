/**
 * The names the local runtime gives its table, bucket and region. Kept apart from runtime.ts so
 * that scripts and tests that only need a name (npm run offboard, the S3 inspectors) do not load
 * the whole runtime, its embedded servers and every handler, to read a constant.
 */
export const LOCAL_TABLE = 'mlhub';
export const LOCAL_BUCKET = 'mlhub-bundles';
export const LOCAL_REGION = 'us-east-1';
