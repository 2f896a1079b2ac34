import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../functions/observability/logger';
import { REDACTED, redactSecrets, redactText } from '../../../functions/observability/log-redaction';
import { captureOutput, jsonLines, type CapturedOutput } from './captured-output';

const PAT = 'mlh_0123456789abcdef_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcdef';
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl';
let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

describe('redactSecrets', () => {
  it('hides credential fields whatever their value, and bearer tokens, access tokens and JWTs inside any text', () => {
    expect(redactSecrets('Authorization', 'anything')).toBe(REDACTED);
    expect(redactSecrets('cookie', 'session=1')).toBe(REDACTED);
    expect(redactSecrets('message', `refused Bearer abc.def for ${PAT} and ${JWT}.`)).toBe(`refused ${REDACTED} for ${REDACTED} and ${REDACTED}.`);
    expect(redactSecrets('model', 'mnist')).toBe('mnist');
    expect(redactSecrets('count', 3)).toBe(3);
  });
});

describe('redactText, which every line MLHub writes passes (the local access and S3 request logs too)', () => {
  it('hides the values of query parameters named as secrets, and tokens and JWTs anywhere in a URL', () => {
    expect(redactText(`GET /models?access_token=opaque&limit=5 401 1.2ms`)).toBe(`GET /models?access_token=${REDACTED}&limit=5 401 1.2ms`);
    expect(redactText('GET /models?mine=1&Token=abc&ID_TOKEN=def;password=x')).toBe(`GET /models?mine=1&Token=${REDACTED}&ID_TOKEN=${REDACTED};password=${REDACTED}`);
    expect(redactText('s3 PUT /b/k?X-Amz-Credential=S3RVER%2F20261130&X-Amz-Signature=0a1b2c 200')).toBe(`s3 PUT /b/k?X-Amz-Credential=S3RVER%2F20261130&X-Amz-Signature=${REDACTED} 200`);
    expect(redactText(`GET /model/${JWT}/predict?q=${PAT} 404`)).toBe(`GET /model/${REDACTED}/predict?q=${REDACTED} 404`);
    expect(redactText('GET /models?mine=1&limit=5&token_id=tok_1')).toBe('GET /models?mine=1&limit=5&token_id=tok_1');
  });

  it('is what redactSecrets applies to every string value, and its names are fields redactSecrets hides', () => {
    expect(redactSecrets('url', '/models?access_token=opaque')).toBe(redactText('/models?access_token=opaque'));
    expect(redactSecrets('access_token', 'opaque')).toBe(REDACTED);
  });
});

describe('the JSON logger (Lambda)', () => {
  it('writes one JSON object per entry, service mlhub, with credentials redacted at any depth', () => {
    const logger = createLogger({});
    logger.info('checked', { headers: { authorization: `Bearer ${PAT}` }, detail: `token ${PAT}` });
    const [entry, ...more] = jsonLines(output.text());
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ level: 'INFO', message: 'checked', service: 'mlhub', headers: { authorization: REDACTED }, detail: `token ${REDACTED}` });
    expect(output.text()).not.toContain(PAT.slice(21));
  });
});

describe('the text logger (MLHUB_LOG_FORMAT=text, the local runtime)', () => {
  it('writes one readable line per entry: time, level, message, then key=value, quoting only what needs it', () => {
    const logger = createLogger({ MLHUB_LOG_FORMAT: 'text' });
    logger.appendKeys({ route_id: 'uploadBundle', correlation_id: 'eRWixcUgvGYLCu4=' });
    logger.info('bundle rejected', { model: 'mnist', version: 2, reason: 'The bundle holds no .onnx file' });
    const lines = output.text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}bundle rejected route_id=uploadBundle correlation_id=eRWixcUgvGYLCu4= model=mnist version=2 reason="The bundle holds no \.onnx file"$/);
    expect(output.text()).not.toMatch(/service|sampling_rate|function_arn/);
  });

  it('shows an error as its name, message and where it was thrown, on the same line, and redacts as JSON does', () => {
    const logger = createLogger({ MLHUB_LOG_FORMAT: 'text' });
    logger.error('unhandled error', { status: 500, error: new TypeError(`boom with ${JWT}`, { cause: new Error('socket hang up') }) });
    const lines = output.text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ ERROR unhandled error status=500 error="TypeError: boom with \[redacted\] \(.*log-format\.test\.ts:\d+\); cause: Error: socket hang up \(.*\)"$/);
    expect(output.text()).not.toContain(JWT);
  });
});
