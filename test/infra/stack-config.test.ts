import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STACK_CONFIG,
  optionEnvName,
  readStackConfig,
  sagemakerEndpointArns,
  STACK_OPTIONS,
  type StackOption,
} from '../../lib/config/stack-config';

const ENDPOINT = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/mlhub-*';

/** Options as `cdk deploy -c key=value` passes them: strings, or absent. */
const read = (given: Partial<Record<StackOption, unknown>>) => readStackConfig((option) => given[option]);

describe('stack configuration', () => {
  it('defaults to a retained dev stage with no CORS, no backends, 90-day logs and modest throttling', () => {
    expect(read({})).toEqual({
      stage: 'dev',
      removalPolicy: 'retain',
      corsOrigins: [],
      modelBackends: {},
      logRetentionDays: RetentionDays.THREE_MONTHS,
      throttleRateLimit: 50,
      throttleBurstLimit: 100,
      noncurrentVersionDays: 30,
    });
  });

  it('reads every option from command-line strings', () => {
    const config = read({
      stage: 'prod',
      removalPolicy: 'DESTROY',
      corsOrigins: 'https://a.example.org, http://localhost:3000,https://a.example.org',
      modelBackends: `{"ONNX":{"url":"https://onnx.example.org/v2"},"PyTorch":{"sagemakerEndpointArns":["${ENDPOINT}"]}}`,
      logRetentionDays: '365',
      throttleRateLimit: '200',
      throttleBurstLimit: '400',
      noncurrentVersionDays: '7',
    });
    expect(config).toEqual({
      stage: 'prod',
      removalPolicy: 'destroy',
      corsOrigins: ['https://a.example.org', 'http://localhost:3000'],
      modelBackends: { ONNX: { url: 'https://onnx.example.org/v2' }, PyTorch: { sagemakerEndpointArns: [ENDPOINT] } },
      logRetentionDays: 365,
      throttleRateLimit: 200,
      throttleBurstLimit: 400,
      noncurrentVersionDays: 7,
    });
  });

  it('takes JSON values from cdk.json as they are', () => {
    const config = read({ corsOrigins: ['https://b.example.org'], throttleRateLimit: 10, modelBackends: { Keras: { url: 'http://keras.internal:8501' } } });
    expect(config.corsOrigins).toEqual(['https://b.example.org']);
    expect(config.throttleRateLimit).toBe(10);
    expect(config.modelBackends).toEqual({ Keras: { url: 'http://keras.internal:8501' } });
  });

  it.each([
    [{ stage: 'Prod' }, /stage/],
    [{ stage: 'a-very-long-stage-name-indeed' }, /stage/],
    [{ removalPolicy: 'snapshot' }, /'retain' or 'destroy'/],
    [{ corsOrigins: 'https://a.example.org/app' }, /no path/],
    [{ corsOrigins: 'http://a.example.org' }, /https origin/],
    [{ corsOrigins: 'not a url' }, /not an origin/],
    [{ modelBackends: '{"Caffe":{"url":"https://x.example.org"}}' }, /unknown model type 'Caffe'/],
    [{ modelBackends: `{"ONNX":{"url":"https://x.example.org","sagemakerEndpointArns":["${ENDPOINT}"]}}` }, /exactly one of/],
    [{ modelBackends: '{"ONNX":{"sagemakerEndpointArns":["*"]}}' }, /not a SageMaker endpoint ARN/],
    [{ modelBackends: '{"ONNX":{"sagemakerEndpointArns":["arn:aws:sagemaker:*:*:endpoint/x"]}}' }, /not a SageMaker endpoint ARN/],
    [{ modelBackends: '{"ONNX":{"url":"ftp://x.example.org"}}' }, /not an http\(s\) URL/],
    [{ modelBackends: 'ONNX=https://x' }, /JSON object/],
    [{ logRetentionDays: '15' }, /CloudWatch Logs accepts only/],
    [{ throttleRateLimit: '0' }, /whole number from 1/],
    [{ throttleBurstLimit: '2.5' }, /whole number/],
    [{ noncurrentVersionDays: 'soon' }, /whole number/],
  ])('rejects %j', (given, message) => {
    expect(() => read(given)).toThrow(message);
  });

  it('names the option and its environment variable when it rejects a value', () => {
    expect(() => read({ throttleBurstLimit: '-1' })).toThrow(/'throttleBurstLimit' \(context 'throttleBurstLimit' or env MLHUB_DEPLOY_THROTTLE_BURST_LIMIT\)/);
  });

  it('maps each option to an MLHUB_DEPLOY_ environment variable', () => {
    expect(STACK_OPTIONS.map(optionEnvName)).toEqual([
      'MLHUB_DEPLOY_STAGE',
      'MLHUB_DEPLOY_REMOVAL_POLICY',
      'MLHUB_DEPLOY_CORS_ORIGINS',
      'MLHUB_DEPLOY_MODEL_BACKENDS',
      'MLHUB_DEPLOY_LOG_RETENTION_DAYS',
      'MLHUB_DEPLOY_THROTTLE_RATE_LIMIT',
      'MLHUB_DEPLOY_THROTTLE_BURST_LIMIT',
      'MLHUB_DEPLOY_NONCURRENT_VERSION_DAYS',
    ]);
    expect(STACK_OPTIONS).toEqual(Object.keys(DEFAULT_STACK_CONFIG));
  });

  it('collects the SageMaker endpoint patterns of every model type, once each', () => {
    const config = read({ modelBackends: JSON.stringify({ PyTorch: { sagemakerEndpointArns: [ENDPOINT] }, Keras: { sagemakerEndpointArns: [ENDPOINT] }, ONNX: { url: 'https://x.example.org' } }) });
    expect(sagemakerEndpointArns(config.modelBackends)).toEqual([ENDPOINT]);
    expect(sagemakerEndpointArns({})).toEqual([]);
  });
});
