/**
 * Every setting a handler reads is read when the local runtime starts, with the loader the handler
 * uses: a bad one stops the start with one line naming the variable, not a 500 on some request.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE_FUNCTIONS } from '../../functions/catalogue/function-catalogue';
import { SettingError, checkHandlerSettings, checkStartSwitches } from '../../local/startup-settings';

let scratch: string;
let cacheDir: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mlhub-settings-'));
  cacheDir = join(scratch, 'cache');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const refusal = async (env: Record<string, string>): Promise<string> => {
  const error = await checkHandlerSettings({ MLHUB_MODEL_CACHE_DIR: cacheDir, ...env }, CATALOGUE_FUNCTIONS).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(SettingError);
  return (error as Error).message;
};

describe('checkHandlerSettings', () => {
  it('takes the defaults and good values', async () => {
    await expect(checkHandlerSettings({ MLHUB_MODEL_CACHE_DIR: cacheDir }, CATALOGUE_FUNCTIONS)).resolves.toBeUndefined();
    await expect(checkHandlerSettings({
      MLHUB_MODEL_CACHE_DIR: cacheDir, MLHUB_RATE_LIMITS: 'read=5/1h,write=2/60s', MLHUB_LOG_FORMAT: 'json', MLHUB_METRICS: 'on',
      POWERTOOLS_LOG_LEVEL: 'DEBUG', MLHUB_UPLOAD_SESSION_SECONDS: '3', MLHUB_PRESIGN_SECONDS: '604800', MLHUB_SWEEP_SECONDS: '0',
      MLHUB_PREDICT_LOOKUP_CACHE_MS: '0', MLHUB_BACKEND_URL_ALLOWLIST: 'https://tfs.example.org/v1, http://127.0.0.1:*, https://tfs2.example.org/v1/models/{model}',
      MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST: 'mlhub-torch-{model},shared-ep', MLHUB_BACKEND_ASSIGNMENTS: '{"a": {"owner": "olive", "backends": ["team-a-ep", "https://tfs2.example.org/v1/models/a"]}}',
    }, CATALOGUE_FUNCTIONS)).resolves.toBeUndefined();
  });

  it.each([
    ['MLHUB_RATE_LIMITS', 'read=5/1d', /^Environment variable MLHUB_RATE_LIMITS: 'read=5\/1d' is not /],
    ['MLHUB_UPLOAD_SESSION_SECONDS', 'a day', /^Environment variable MLHUB_UPLOAD_SESSION_SECONDS must be a whole number from 1 to 86400, got 'a day'$/],
    ['MLHUB_UPLOAD_SESSION_SECONDS', '86401', /^Environment variable MLHUB_UPLOAD_SESSION_SECONDS must be a whole number from 1 to 86400, got '86401'$/],
    ['MLHUB_PRESIGN_SECONDS', '1e3', /^Environment variable MLHUB_PRESIGN_SECONDS must be a whole number from 1 to 604800, got '1e3'$/],
    ['MLHUB_PRESIGN_SECONDS', ' 12 ', /^Environment variable MLHUB_PRESIGN_SECONDS must be a whole number from 1 to 604800, got ' 12 '$/],
    ['MLHUB_MAX_BUNDLE_ENTRIES', '0x10', /^Environment variable MLHUB_MAX_BUNDLE_ENTRIES must be a whole number from 1 to 9007199254740991, got '0x10'$/],
    ['MLHUB_ONNX_SESSION_CACHE_BYTES', '1.0', /^Environment variable MLHUB_ONNX_SESSION_CACHE_BYTES must be a whole number from 1 to /],
    ['MLHUB_MODEL_CACHE_BYTES', '3GiB', /^Environment variable MLHUB_MODEL_CACHE_BYTES must be a whole number from 1 to /],
    ['MLHUB_PREDICT_DEADLINE_MS', '2147483648', /^Environment variable MLHUB_PREDICT_DEADLINE_MS must be a whole number from 1 to 2147483647, got '2147483648'$/],
    ['MLHUB_PREDICT_LOOKUP_CACHE_MS', '2147483648', /^Environment variable MLHUB_PREDICT_LOOKUP_CACHE_MS must be a whole number from 0 to 2147483647, got '2147483648'$/],
    ['MLHUB_SWEEP_SECONDS', '2147484', /^MLHUB_SWEEP_SECONDS must be a whole number of seconds from 0 \(sweepVersions off\) to 2147483, got '2147484'$/],
    ['MLHUB_PRESIGN_SECONDS', '604801', /^Environment variable MLHUB_PRESIGN_SECONDS must be a whole number from 1 to 604800, got '604801'$/],
    ['MLHUB_MAX_BUNDLE_BYTES', '0', /^Environment variable MLHUB_MAX_BUNDLE_BYTES must be a whole number from 1 to /],
    ['MLHUB_PREDICT_LOOKUP_CACHE_MS', '-1', /^Environment variable MLHUB_PREDICT_LOOKUP_CACHE_MS must be a whole number from 0 to 2147483647, got '-1'$/],
    ['MLHUB_PREDICT_DEADLINE_MS', '5s', /^Environment variable MLHUB_PREDICT_DEADLINE_MS /],
    ['MLHUB_BACKEND_ONNX', 'tensorflow-serving', /^Environment variable MLHUB_BACKEND_ONNX: /],
    ['MLHUB_BACKEND_URL_ALLOWLIST', 'tfs.internal:8501', /^Environment variable MLHUB_BACKEND_URL_ALLOWLIST: 'tfs.internal:8501' is not a URL such as/],
    ['MLHUB_BACKEND_URL_ALLOWLIST', 'https://tfs.example.org,https://tfs.example.org/v1/models/{model}', /^Environment variable MLHUB_BACKEND_URL_ALLOWLIST: the shared entry 'https:\/\/tfs.example.org' overlaps the per-model pattern/],
    ['MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST', 'mlhub-torch-{model},mlhub-torch-prod', /^Environment variable MLHUB_SAGEMAKER_ENDPOINT_ALLOWLIST: the shared endpoint 'mlhub-torch-prod' falls under the per-model pattern 'mlhub-torch-{model}'/],
    ['MLHUB_BACKEND_ASSIGNMENTS', '{"a b": {"owner": "olive", "backends": ["mlhub-torch-b"]}}', /^Environment variable MLHUB_BACKEND_ASSIGNMENTS: 'a b' is not a model name/],
    ['MLHUB_BACKEND_ASSIGNMENTS', '{"a": ["team-a-ep"]}', /^Environment variable MLHUB_BACKEND_ASSIGNMENTS: model 'a': an assignment now needs the owner's user id/],
    ['MLHUB_BACKEND_URL_ALLOWLIST', 'https://tfs.example.org/v1/models/{model},http://tfs.example.org', /^Environment variable MLHUB_BACKEND_URL_ALLOWLIST: the shared entry 'http:\/\/tfs.example.org' overlaps/],
    ['MLHUB_BACKEND_ASSIGNMENTS', '["a"]', /^Environment variable MLHUB_BACKEND_ASSIGNMENTS: expected a JSON object/],
    ['MLHUB_OIDC_TOKEN_USE', 'both', /^MLHUB_OIDC_TOKEN_USE must be 'id' or 'access', got 'both'$/],
    ['MLHUB_LOG_FORMAT', 'jsn', /^MLHUB_LOG_FORMAT must be 'text' or 'json', got 'jsn'$/],
    ['MLHUB_METRICS', 'yes', /^MLHUB_METRICS must be 'on' or 'off', got 'yes'$/],
    ['POWERTOOLS_LOG_LEVEL', 'debug', /^POWERTOOLS_LOG_LEVEL must be 'TRACE', 'DEBUG', .* or 'SILENT', got 'debug'$/],
    ['MLHUB_SWEEP_SECONDS', '1m', /^MLHUB_SWEEP_SECONDS must be a whole number of seconds/],
    ['MLHUB_USER_STATUS_CACHE_SECONDS', '3601', /^Environment variable MLHUB_USER_STATUS_CACHE_SECONDS must be a whole number from 0 to 3600, got '3601'$/],
    ['MLHUB_COGNITO_USER_POOL_ID', 'pool one', /^MLHUB_COGNITO_USER_POOL_ID must be a Cognito user pool id such as eu-west-1_AbC123xyz, got 'pool one'$/],
    ['MLHUB_COGNITO_USER_POOL_ID', 'us-east-1_Abc123', /^MLHUB_COGNITO_USER_POOL_ID needs MLHUB_COGNITO_ENDPOINT locally/],
    ['MLHUB_COGNITO_ENDPOINT', 'http://127.0.0.1:9229', /^MLHUB_COGNITO_ENDPOINT needs MLHUB_COGNITO_USER_POOL_ID/],
  ])('refuses %s=%s in one line naming it', async (name, value, message) => {
    const text = await refusal({ [name]: value });
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('refuses an upload limit above the unpacked limit, naming both', async () => {
    expect(await refusal({ MLHUB_MAX_BUNDLE_BYTES: '2000000', MLHUB_MAX_UNPACKED_BYTES: '1000000' }))
      .toMatch(/^Environment variable MLHUB_MAX_BUNDLE_BYTES \(2000000\) must not exceed MLHUB_MAX_UNPACKED_BYTES \(1000000\)/);
    await expect(checkHandlerSettings({ MLHUB_MODEL_CACHE_DIR: cacheDir, MLHUB_MAX_UNPACKED_BYTES: '1000000' }, CATALOGUE_FUNCTIONS)).resolves.toBeUndefined();
  });

  it('takes a user pool with an endpoint to ask, and refuses an endpoint that is not an http(s) URL', async () => {
    await expect(checkHandlerSettings({ MLHUB_MODEL_CACHE_DIR: cacheDir, MLHUB_COGNITO_USER_POOL_ID: 'us-east-1_Abc123', MLHUB_COGNITO_ENDPOINT: 'http://127.0.0.1:9229', MLHUB_USER_STATUS_CACHE_SECONDS: '0' }, CATALOGUE_FUNCTIONS)).resolves.toBeUndefined();
    expect(await refusal({ MLHUB_COGNITO_USER_POOL_ID: 'us-east-1_Abc123', MLHUB_COGNITO_ENDPOINT: 'ftp://127.0.0.1' })).toMatch(/^MLHUB_COGNITO_ENDPOINT must be an http\(s\) URL/);
  });

  it('refuses a model cache folder others may write, or one it cannot make', async () => {
    const shared = join(scratch, 'shared');
    await checkHandlerSettings({ MLHUB_MODEL_CACHE_DIR: shared }, CATALOGUE_FUNCTIONS);
    await chmod(shared, 0o777);
    expect(await refusal({ MLHUB_MODEL_CACHE_DIR: shared })).toMatch(/^MLHUB_MODEL_CACHE_DIR: The model cache .* is not a private folder of this user/);
    const file = join(scratch, 'a-file');
    await writeFile(file, '');
    expect(await refusal({ MLHUB_MODEL_CACHE_DIR: join(file, 'cache') })).toMatch(/^MLHUB_MODEL_CACHE_DIR: ENOTDIR/);
  });
});

describe('checkStartSwitches', () => {
  it('takes on, off or nothing for MLHUB_ACCESS_LOG and MLHUB_S3_REQUEST_LOG', () => {
    expect(() => checkStartSwitches({ MLHUB_ACCESS_LOG: 'off', MLHUB_S3_REQUEST_LOG: 'on' })).not.toThrow();
    expect(() => checkStartSwitches({ MLHUB_ACCESS_LOG: 'no' })).toThrow(new SettingError("MLHUB_ACCESS_LOG must be 'on' or 'off', got 'no'"));
    expect(() => checkStartSwitches({ MLHUB_S3_REQUEST_LOG: '1' })).toThrow(/^MLHUB_S3_REQUEST_LOG must be 'on' or 'off'/);
    expect(() => checkStartSwitches({ MLHUB_DEMO_MODEL: 'no' })).toThrow(new SettingError("MLHUB_DEMO_MODEL must be 'on' or 'off', got 'no'"));
  });
});
