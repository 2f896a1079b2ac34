import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../functions/observability/logger';
import { REDACTED, redactSecrets } from '../../../functions/observability/log-redaction';
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
