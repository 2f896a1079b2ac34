import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV, loadFunctionConfig } from '../../functions/platform/function-config';
import {
  DEFAULT_STACK_CONFIG,
  identitySource,
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
  it('defaults to a retained dev stage with no CORS, no backends, 90-day logs, modest throttling and its own closed user pool', () => {
    const config = read({});
    expect(config).toStrictEqual({
      stage: 'dev',
      removalPolicy: 'retain',
      corsOrigins: [],
      modelBackends: {},
      backendUrlAllowlist: [],
      backendAssignments: {},
      logRetentionDays: RetentionDays.THREE_MONTHS,
      throttleRateLimit: 50,
      throttleBurstLimit: 100,
      routeThrottles: {
        write: { rateLimit: 25, burstLimit: 50 },
        predict: { rateLimit: 10, burstLimit: 20 },
        upload: { rateLimit: 10, burstLimit: 20 },
        deploy: { rateLimit: 5, burstLimit: 10 },
      },
      rateLimits: {
        read: { limit: 600, windowSeconds: 60 },
        write: { limit: 60, windowSeconds: 60 },
        predict: { limit: 120, windowSeconds: 60 },
        upload: { limit: 120, windowSeconds: 60 },
        deploy: { limit: 20, windowSeconds: 3600 },
        job: { limit: 60, windowSeconds: 3600 },
        'predict-anonymous': { limit: 20, windowSeconds: 60 },
      },
      noncurrentVersionDays: 30,
      maxBundleBytes: 20 * 1024 ** 3,
      maxUnpackedBytes: 20 * 1024 ** 3,
      presignSeconds: 900,
      oidcIssuer: undefined,
      oidcAudience: undefined,
      oidcJwksUri: undefined,
      oidcTokenUse: 'id',
      oidcUserClaim: 'sub',
      userPoolSelfSignUp: false,
      userPoolThreatProtection: 'off',
      userPoolSesFromEmail: undefined,
      userPoolSesFromName: undefined,
      userPoolSesVerifiedDomain: undefined,
      userPoolSesConfigurationSet: undefined,
      userPoolSesRegion: undefined,
      alarmTopic: false,
      alarmEmail: undefined,
      monthlyBudgetUsd: undefined,
      predictReservedConcurrency: 10,
      finalizerReservedConcurrency: 5,
      jobConcurrency: 10,
      endpointMaxMemoryMb: 6144,
      endpointMaxConcurrency: 10,
      endpointsPerModel: 2,
      endpointsPerUser: 5,
      endpointPickles: false,
      doiPrefix: undefined,
      dataciteRepositoryId: undefined,
      dataciteSecretName: undefined,
      dataciteEndpoint: 'https://api.test.datacite.org',
      doiPublisher: 'MLHub',
    });
    expect(identitySource(config)).toEqual({ kind: 'userPool', selfSignUp: false, threatProtection: 'off' });
  });

  it('reads every option from command-line strings', () => {
    const config = read({
      stage: 'prod',
      removalPolicy: 'DESTROY',
      corsOrigins: 'https://a.example.org, http://localhost:3000,https://a.example.org',
      modelBackends: `{"ONNX":{"kind":"oip","url":"https://onnx.example.org/v2"},"PyTorch":{"sagemakerEndpointArns":["${ENDPOINT}"]}}`,
      backendUrlAllowlist: 'https://tfs.example.org, http://127.0.0.1:*,https://tfs.example.org',
      backendAssignments: '{"resnet": {"owner": "olive", "backends": ["https://gpu.example.org/resnet"]}}',
      logRetentionDays: '365',
      throttleRateLimit: '200',
      throttleBurstLimit: '400',
      routeThrottles: '{"predict": {"rateLimit": 5, "burstLimit": 8}, "read": {"rateLimit": 100, "burstLimit": 200}}',
      rateLimits: 'read=100/1m, predict=10/60s',
      noncurrentVersionDays: '7',
      maxBundleBytes: '250 GiB',
      maxUnpackedBytes: '1TiB',
      presignSeconds: '1800',
      userPoolSelfSignUp: 'TRUE',
      userPoolThreatProtection: 'Enforced',
      userPoolSesFromEmail: 'no-reply@mail.example.org',
      userPoolSesFromName: 'MLHub Registry',
      userPoolSesVerifiedDomain: 'Mail.Example.org',
      userPoolSesConfigurationSet: 'mlhub-mail',
      userPoolSesRegion: 'eu-west-1',
      alarmEmail: 'ops@example.org',
      monthlyBudgetUsd: '99.50',
      predictReservedConcurrency: '50',
      finalizerReservedConcurrency: 'none',
      jobConcurrency: '250',
      endpointMaxMemoryMb: '2048',
      endpointMaxConcurrency: '4',
      endpointsPerModel: '1',
      endpointsPerUser: '9',
      endpointPickles: 'true',
      doiPrefix: ' 10.12345 ',
      dataciteRepositoryId: 'ABC.MLHUB-2',
      dataciteSecretName: 'mlhub/datacite',
      dataciteEndpoint: 'https://api.datacite.org',
      doiPublisher: 'Example University',
    });
    expect(config).toStrictEqual({
      stage: 'prod',
      removalPolicy: 'destroy',
      corsOrigins: ['https://a.example.org', 'http://localhost:3000'],
      modelBackends: {
        ONNX: { defaultBackend: { kind: 'oip', url: 'https://onnx.example.org/v2' }, sagemakerEndpointArns: [] },
        PyTorch: { sagemakerEndpointArns: [ENDPOINT] },
      },
      backendUrlAllowlist: ['https://tfs.example.org', 'http://127.0.0.1:*'],
      backendAssignments: { resnet: { owner: 'olive', backends: ['https://gpu.example.org/resnet'] } },
      logRetentionDays: 365,
      throttleRateLimit: 200,
      throttleBurstLimit: 400,
      routeThrottles: { predict: { rateLimit: 5, burstLimit: 8 }, read: { rateLimit: 100, burstLimit: 200 } },
      rateLimits: { read: { limit: 100, windowSeconds: 60 }, predict: { limit: 10, windowSeconds: 60 } },
      noncurrentVersionDays: 7,
      maxBundleBytes: 250 * 1024 ** 3,
      maxUnpackedBytes: 1024 ** 4,
      presignSeconds: 1800,
      oidcIssuer: undefined,
      oidcAudience: undefined,
      oidcJwksUri: undefined,
      oidcTokenUse: 'id',
      oidcUserClaim: 'sub',
      userPoolSelfSignUp: true,
      userPoolThreatProtection: 'enforced',
      userPoolSesFromEmail: 'no-reply@mail.example.org',
      userPoolSesFromName: 'MLHub Registry',
      userPoolSesVerifiedDomain: 'mail.example.org',
      userPoolSesConfigurationSet: 'mlhub-mail',
      userPoolSesRegion: 'eu-west-1',
      // An e-mail is sent through the topic, so it implies one.
      alarmTopic: true,
      alarmEmail: 'ops@example.org',
      monthlyBudgetUsd: 99.5,
      predictReservedConcurrency: 50,
      finalizerReservedConcurrency: 0,
      jobConcurrency: 250,
      endpointMaxMemoryMb: 2048,
      endpointMaxConcurrency: 4,
      endpointsPerModel: 1,
      endpointsPerUser: 9,
      endpointPickles: true,
      doiPrefix: '10.12345',
      dataciteRepositoryId: 'ABC.MLHUB-2',
      dataciteSecretName: 'mlhub/datacite',
      dataciteEndpoint: 'https://api.datacite.org',
      doiPublisher: 'Example University',
    });
    expect(identitySource(config)).toMatchObject({
      kind: 'userPool',
      sesMail: { fromEmail: 'no-reply@mail.example.org', fromName: 'MLHub Registry', verifiedDomain: 'mail.example.org', configurationSet: 'mlhub-mail', region: 'eu-west-1' },
    });
  });

  it('keeps the alarm topic off unless asked for, and makes it without an e-mail when asked', () => {
    expect(read({}).alarmTopic).toBe(false);
    expect(read({ alarmTopic: 'true' })).toMatchObject({ alarmTopic: true, alarmEmail: undefined });
    expect(read({ alarmTopic: true, monthlyBudgetUsd: 40 })).toMatchObject({ alarmTopic: true, monthlyBudgetUsd: 40 });
  });

  it('reads an external issuer, ORCID for instance, with its client id, keys, token use and user claim', () => {
    const config = read({
      oidcIssuer: 'https://orcid.org',
      oidcAudience: 'APP-ABCDEFGHIJKLMNOP',
      oidcJwksUri: 'https://orcid.org/oauth/jwks',
      oidcTokenUse: 'ID',
      oidcUserClaim: 'sub',
    });
    expect(identitySource(config)).toEqual({
      kind: 'external',
      // Exactly as given: the token's iss has no trailing slash, so none may be added.
      issuer: 'https://orcid.org',
      audience: 'APP-ABCDEFGHIJKLMNOP',
      jwksUri: 'https://orcid.org/oauth/jwks',
      tokenUse: 'id',
      userClaim: 'sub',
    });
  });

  it('defaults an external issuer to ID tokens naming the user by sub, with keys where the issuer puts them', () => {
    const config = read({ oidcIssuer: 'https://login.example.edu/realms/research', oidcAudience: 'mlhub' });
    expect(identitySource(config)).toEqual({
      kind: 'external', issuer: 'https://login.example.edu/realms/research', audience: 'mlhub', jwksUri: undefined, tokenUse: 'id', userClaim: 'sub',
    });
    expect(read({ oidcIssuer: 'https://idp.example.org', oidcAudience: 'mlhub', oidcTokenUse: 'any', oidcUserClaim: 'cognito:username' }))
      .toMatchObject({ oidcTokenUse: 'any', oidcUserClaim: 'cognito:username' });
  });

  it('takes JSON values from cdk.json as they are', () => {
    const config = read({
      corsOrigins: ['https://b.example.org'],
      throttleRateLimit: 10,
      modelBackends: { Keras: { kind: 'tfserving', url: 'http://keras.example.org:8501', model: '{model}' }, ONNX: 'onnxruntime' },
      backendUrlAllowlist: ['https://tfs.example.org/v1'],
    });
    expect(config.corsOrigins).toEqual(['https://b.example.org']);
    expect(config.throttleRateLimit).toBe(10);
    expect(config.modelBackends).toEqual({
      Keras: { defaultBackend: { kind: 'tfserving', url: 'http://keras.example.org:8501', model: '{model}' }, sagemakerEndpointArns: [] },
      ONNX: { defaultBackend: 'onnxruntime', sagemakerEndpointArns: [] },
    });
    expect(config.backendUrlAllowlist).toEqual(['https://tfs.example.org/v1']);
  });

  it('takes a default SageMaker backend with the endpoints it may invoke, whose ARNs must cover its endpoint', () => {
    const config = read({ modelBackends: JSON.stringify({ PyTorch: { kind: 'sagemaker', endpoint: 'mlhub-{model}', content_type: 'application/json', sagemakerEndpointArns: [ENDPOINT] } }) });
    expect(config.modelBackends.PyTorch).toEqual({
      defaultBackend: { kind: 'sagemaker', endpoint: 'mlhub-{model}', content_type: 'application/json' },
      sagemakerEndpointArns: [ENDPOINT],
    });
    const exact = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/mnist-prod';
    expect(read({ modelBackends: JSON.stringify({ Keras: { kind: 'sagemaker', endpoint: 'MNIST-Prod', sagemakerEndpointArns: [exact] } }) }).modelBackends.Keras?.sagemakerEndpointArns).toEqual([exact]);
  });

  it.each([
    [{ stage: 'Prod' }, /stage/],
    [{ stage: 'a-very-long-stage-name-indeed' }, /stage/],
    [{ removalPolicy: 'snapshot' }, /'retain' or 'destroy'/],
    [{ corsOrigins: 'https://a.example.org/app' }, /no path/],
    [{ corsOrigins: 'http://a.example.org' }, /https origin/],
    [{ corsOrigins: 'not a url' }, /not an origin/],
    [{ modelBackends: '{"Caffe":{"url":"https://x.example.org"}}' }, /unknown model type 'Caffe'/],
    [{ modelBackends: '{"ONNX":{"url":"https://x.example.org"}}' }, /ONNX: say which protocol the server at "url" speaks with "kind"/],
    [{ modelBackends: '{"ONNX":{"sagemakerEndpointArns":["*"]}}' }, /not a SageMaker endpoint ARN/],
    [{ modelBackends: '{"ONNX":{"sagemakerEndpointArns":["arn:aws:sagemaker:*:*:endpoint/x"]}}' }, /not a SageMaker endpoint ARN/],
    [{ modelBackends: '{"ONNX":{"sagemakerEndpointArns":["arn:aws:sagemaker:us-east-1:123456789012:endpoint/MNIST"]}}' }, /carry the name in lowercase/],
    [{ modelBackends: '{"ONNX":{"sagemakerEndpointArns":[]}}' }, /non-empty array/],
    [{ modelBackends: '{"ONNX":{}}' }, /give a default backend/],
    [{ modelBackends: '{"ONNX":["onnxruntime"]}' }, /expected a backend/],
    [{ modelBackends: '{"ONNX":{"kind":"tfserving","url":"ftp://x.example.org"}}' }, /ONNX: the backend "url" must be http or https/],
    [{ modelBackends: '{"ONNX":{"kind":"caffe2"}}' }, /ONNX: the backend "kind" must be one of/],
    [{ modelBackends: '{"ONNX":"tfserving"}' }, /ONNX: the backend "url" is required/],
    [{ modelBackends: '{"PyTorch":{"kind":"sagemaker","endpoint":"torch"}}' }, /default SageMaker endpoint 'torch' must fall under one of its "sagemakerEndpointArns"/],
    [{ modelBackends: `{"PyTorch":{"kind":"sagemaker","endpoint":"torch-{model}","sagemakerEndpointArns":["${ENDPOINT}"]}}` }, /'torch-\{model\}' must fall under/],
    [{ modelBackends: '{"PyTorch":{"kind":"sagemaker","endpoint":"mlhub-{model}","sagemakerEndpointArns":["arn:aws:sagemaker:us-east-1:123456789012:endpoint/mlhub-a*"]}}' }, /must fall under/],
    [{ modelBackends: 'ONNX=https://x' }, /JSON object/],
    [{ backendUrlAllowlist: 'tfs.example.org' }, /'tfs.example.org' is not an origin/],
    [{ backendUrlAllowlist: 'https://tfs.example.org?x=1' }, /is not an origin/],
    [{ backendUrlAllowlist: 'https://user@tfs.example.org' }, /is not an origin/],
    [{ backendUrlAllowlist: 'https://*.example.org' }, /is not an origin/],
    [{ backendUrlAllowlist: '{"url":"https://tfs.example.org"}' }, /comma-separated list or a JSON array/],
    // One host may answer plain HTTP beside HTTPS, or on another port: the shared entry would open the pattern's addresses there.
    [{ backendUrlAllowlist: 'https://tfs.example.org/v1/models/{model},http://tfs.example.org' },
      /^Invalid stack option 'backendUrlAllowlist' .*: the shared entry 'http:\/\/tfs.example.org' overlaps the per-model pattern 'https:\/\/tfs.example.org\/v1\/models\/\{model\}'/],
    [{ backendUrlAllowlist: 'https://tfs.example.org/v1/models/{model},https://tfs.example.org:8443/v1' }, /^Invalid stack option 'backendUrlAllowlist' .*: the shared entry 'https:\/\/tfs.example.org:8443\/v1' overlaps/],
    [{ modelBackends: '{"TensorFlow":{"kind":"tfserving","url":"https://tfs.example.org"}}', backendUrlAllowlist: 'http://tfs.example.org:8501' },
      /^Invalid stack option 'backendUrlAllowlist' .*: the shared entry 'http:\/\/tfs.example.org:8501' overlaps the per-model pattern 'https:\/\/tfs.example.org\/v1\/models\/\{model\}'/],
    [{ backendUrlAllowlist: 'https://tfs.example.org/v1/models/{model}', backendAssignments: '{"a": {"owner": "olive", "backends": ["http://tfs.example.org/v1/models/b"]}}' },
      /^Invalid stack option 'backendAssignments' .*: 'http:\/\/tfs.example.org\/v1\/models\/b', assigned to model 'a', covers what/],
    // Assignments name the owner: a name alone would pass to whoever re-creates the model after a DELETE.
    [{ backendAssignments: '{"a": ["https://gpu.example.org/a"]}' }, /^Invalid stack option 'backendAssignments' .*: model 'a': an assignment now needs the owner's user id/],
    [{ backendAssignments: '{"a": {"backends": ["https://gpu.example.org/a"]}}' }, /^Invalid stack option 'backendAssignments' .*: model 'a': "owner" must be the user id/],
    [{ logRetentionDays: '15' }, /CloudWatch Logs accepts only/],
    [{ throttleRateLimit: '0' }, /whole number from 1/],
    [{ throttleBurstLimit: '2.5' }, /whole number/],
    [{ routeThrottles: '{"predicts": {"rateLimit": 1, "burstLimit": 1}}' }, /routeThrottles.*unknown class 'predicts'; use read, write, predict, upload/],
    [{ routeThrottles: '{"predict": {"rateLimit": 0, "burstLimit": 1}}' }, /predict: rateLimit must be a whole number from 1 to 10000, got 0/],
    [{ routeThrottles: '{"predict": {"rateLimit": 1, "burstLimit": 5001}}' }, /predict: burstLimit must be a whole number from 1 to 5000/],
    [{ routeThrottles: '{"predict": {"rateLimit": 1}}' }, /predict: burstLimit must be a whole number/],
    [{ routeThrottles: '{"predict": {"rate": 1, "burstLimit": 1}}' }, /predict: unknown field\(s\) rate/],
    [{ routeThrottles: '{"predict": 10}' }, /predict: expected \{"rateLimit"/],
    [{ routeThrottles: 'predict=10' }, /expected a JSON object keyed by class/],
    [{ noncurrentVersionDays: 'soon' }, /whole number/],
    [{ maxBundleBytes: '1000' }, /maxBundleBytes.*from 1048576 to 5497558138880/],
    [{ maxBundleBytes: '6TiB' }, /from 1048576 to 5497558138880/],
    [{ maxBundleBytes: '5TB' }, /a size in KiB, MiB, GiB or TiB such as 50GiB, got "5TB"/],
    [{ maxBundleBytes: '1.5GiB' }, /whole number of bytes/],
    [{ maxBundleBytes: '-1' }, /whole number of bytes/],
    [{ maxUnpackedBytes: '1000' }, /maxUnpackedBytes.*from 1048576 to 5497558138880/],
    [{ predictReservedConcurrency: '-1' }, /predictReservedConcurrency.*whole number from 0 to 100000/],
    [{ finalizerReservedConcurrency: 'lots' }, /finalizerReservedConcurrency.*whole number from 0 to 100000/],
    [{ jobConcurrency: '0' }, /jobConcurrency.*whole number from 1 to 10000/],
    [{ jobConcurrency: '10001' }, /jobConcurrency.*whole number from 1 to 10000/],
    [{ endpointMaxMemoryMb: '3000' }, /endpointMaxMemoryMb.*1024, 2048, 3072, 4096, 5120 or 6144/],
    [{ endpointMaxMemoryMb: '8192' }, /endpointMaxMemoryMb/],
    [{ endpointMaxConcurrency: '201' }, /endpointMaxConcurrency/],
    [{ endpointPickles: 'maybe' }, /endpointPickles/],
    [{ endpointsPerModel: '0' }, /endpointsPerModel/],
    [{ endpointsPerUser: 'many' }, /endpointsPerUser/],
    [{ presignSeconds: '59' }, /presignSeconds.*whole number from 60 to 3600/],
    [{ presignSeconds: '7200' }, /whole number from 60 to 3600/],
    [{ oidcIssuer: 'orcid.org', oidcAudience: 'APP-1' }, /'orcid.org' is not an issuer URL/],
    [{ oidcIssuer: 'http://orcid.org', oidcAudience: 'APP-1' }, /must be an https URL/],
    [{ oidcIssuer: 'https://orcid.org?x=1', oidcAudience: 'APP-1' }, /no query, fragment or credentials/],
    [{ oidcIssuer: 'https://orcid.org', oidcAudience: 'APP-1', oidcJwksUri: 'http://orcid.org/oauth/jwks' }, /oidcJwksUri.*must be an https URL/],
    [{ oidcIssuer: 'https://orcid.org', oidcAudience: 'APP-1,APP-2' }, /must be one client id/],
    [{ oidcIssuer: 'https://orcid.org', oidcAudience: 'APP-1', oidcTokenUse: 'refresh' }, /expected 'id', 'access', 'any', got 'refresh'/],
    [{ oidcIssuer: 'https://orcid.org', oidcAudience: 'APP-1', oidcUserClaim: 'a claim' }, /is not a claim name/],
    [{ userPoolSelfSignUp: 'yes' }, /expected 'true', 'false', got 'yes'/],
    [{ userPoolThreatProtection: 'on' }, /expected 'off', 'audit', 'enforced', got 'on'/],
    [{ alarmEmail: 'ops' }, /'alarmEmail'.*'ops' is not one e-mail address/],
    [{ alarmEmail: 'ops@example.org,dev@example.org' }, /'alarmEmail'.*is not one e-mail address/],
    [{ alarmEmail: 'ops@localhost' }, /'alarmEmail'.*is not one e-mail address/],
    [{ alarmTopic: 'yes' }, /'alarmTopic'.*expected 'true', 'false', got 'yes'/],
    [{ monthlyBudgetUsd: '0', alarmTopic: 'true' }, /'monthlyBudgetUsd'.*from 1 to 1000000/],
    [{ monthlyBudgetUsd: '12.345', alarmTopic: 'true' }, /'monthlyBudgetUsd'.*at most two decimals/],
    [{ monthlyBudgetUsd: '$100', alarmTopic: 'true' }, /'monthlyBudgetUsd'.*got "\$100"/],
    [{ monthlyBudgetUsd: '2000000', alarmTopic: 'true' }, /'monthlyBudgetUsd'.*from 1 to 1000000/],
    [{ userPoolSesFromEmail: 'MLHub <no-reply@example.org>' }, /'userPoolSesFromEmail'.*is not one e-mail address/],
    [{ userPoolSesFromEmail: 'no-reply@example.org', userPoolSesFromName: 'MLHub\nBcc: x@example.org' }, /'userPoolSesFromName'.*one line/],
    [{ userPoolSesFromEmail: 'no-reply@example.org', userPoolSesVerifiedDomain: 'example' }, /'userPoolSesVerifiedDomain'.*not a domain name/],
    [{ userPoolSesFromEmail: 'no-reply@example.org', userPoolSesConfigurationSet: 'my set' }, /'userPoolSesConfigurationSet'.*not an SES configuration set name/],
    [{ userPoolSesFromEmail: 'no-reply@example.org', userPoolSesRegion: 'Ireland' }, /'userPoolSesRegion'.*not an AWS region/],
  ])('rejects %j', (given, message) => {
    expect(() => read(given)).toThrow(message);
  });

  it.each([
    [{ oidcIssuer: 'https://orcid.org' }, /'oidcAudience' .*is required with oidcIssuer 'https:\/\/orcid.org': give the client id/],
    [{ oidcAudience: 'APP-1' }, /'oidcAudience' .*applies only to an external issuer: set oidcIssuer too/],
    [{ oidcJwksUri: 'https://orcid.org/oauth/jwks' }, /'oidcJwksUri' .*applies only to an external issuer/],
    [{ oidcTokenUse: 'access' }, /'oidcTokenUse' .*applies only to an external issuer/],
    [{ oidcUserClaim: 'email' }, /'oidcUserClaim' .*applies only to an external issuer/],
    [{ oidcIssuer: 'https://orcid.org', oidcAudience: 'APP-1', userPoolSelfSignUp: 'true' }, /'userPoolSelfSignUp' .*not created when oidcIssuer is set/],
    [{ oidcIssuer: 'https://orcid.org', oidcAudience: 'APP-1', userPoolThreatProtection: 'off' }, /'userPoolThreatProtection' .*not created when oidcIssuer is set/],
    [{ oidcIssuer: 'https://orcid.org', oidcAudience: 'APP-1', userPoolSesFromEmail: 'no-reply@example.org' }, /'userPoolSesFromEmail' .*not created when oidcIssuer is set/],
    [{ userPoolSesRegion: 'eu-west-1' }, /'userPoolSesRegion' .*applies only to mail sent through SES: set userPoolSesFromEmail too/],
    [{ userPoolSesFromName: 'MLHub' }, /'userPoolSesFromName' .*set userPoolSesFromEmail too/],
    [{ userPoolSesFromEmail: 'no-reply@example.org', userPoolSesVerifiedDomain: 'mail.example.org' }, /'userPoolSesVerifiedDomain' .*'mail.example.org' is not the domain of userPoolSesFromEmail/],
  ])('rejects the half-given identity options %j', (given, message) => {
    expect(() => read(given)).toThrow(message);
  });

  it.each([
    [{ monthlyBudgetUsd: '100' }, /'monthlyBudgetUsd' .*set alarmEmail \(or alarmTopic=true\), or the budget would tell no one/],
    [{ monthlyBudgetUsd: '100', alarmTopic: 'false' }, /'monthlyBudgetUsd' .*would tell no one/],
    [{ alarmEmail: 'ops@example.org', alarmTopic: 'false' }, /'alarmTopic' .*is false, but alarmEmail 'ops@example.org' is subscribed to the alarm topic/],
  ])('rejects notification options that contradict each other: %j', (given, message) => {
    expect(() => read(given)).toThrow(message);
  });

  it('names the option and its environment variable when it rejects a value', () => {
    expect(() => read({ throttleBurstLimit: '-1' })).toThrow(/'throttleBurstLimit' \(context 'throttleBurstLimit' or env MLHUB_DEPLOY_THROTTLE_BURST_LIMIT\)/);
  });

  it('turns route throttles off with off or an empty object, and takes them from cdk.json as they are', () => {
    expect(read({ routeThrottles: 'off' }).routeThrottles).toEqual({});
    expect(read({ routeThrottles: {} }).routeThrottles).toEqual({});
    expect(read({ routeThrottles: { upload: { rateLimit: 3, burstLimit: 6 } } }).routeThrottles).toEqual({ upload: { rateLimit: 3, burstLimit: 6 } });
  });

  it('turns rate limits off with off, and refuses a policy the functions could not read, naming the entry', () => {
    expect(read({ rateLimits: 'off' }).rateLimits).toEqual({});
    expect(() => read({ rateLimits: 'reads=1/1s' })).toThrow(/'rateLimits' \(context 'rateLimits' or env MLHUB_DEPLOY_RATE_LIMITS\): 'reads=1\/1s' names no class of requests/);
    expect(() => read({ rateLimits: 'read=1/2d' })).toThrow(/'rateLimits'.*'read=1\/2d' is not <class>=<requests>\/<window>/);
    expect(() => read({ rateLimits: { read: 1 } })).toThrow(/'rateLimits'.*expected a string/);
  });

  it('maps each option to an MLHUB_DEPLOY_ environment variable', () => {
    expect(STACK_OPTIONS.map(optionEnvName)).toEqual([
      'MLHUB_DEPLOY_STAGE',
      'MLHUB_DEPLOY_REMOVAL_POLICY',
      'MLHUB_DEPLOY_CORS_ORIGINS',
      'MLHUB_DEPLOY_MODEL_BACKENDS',
      'MLHUB_DEPLOY_BACKEND_URL_ALLOWLIST',
      'MLHUB_DEPLOY_BACKEND_ASSIGNMENTS',
      'MLHUB_DEPLOY_LOG_RETENTION_DAYS',
      'MLHUB_DEPLOY_THROTTLE_RATE_LIMIT',
      'MLHUB_DEPLOY_THROTTLE_BURST_LIMIT',
      'MLHUB_DEPLOY_ROUTE_THROTTLES',
      'MLHUB_DEPLOY_RATE_LIMITS',
      'MLHUB_DEPLOY_NONCURRENT_VERSION_DAYS',
      'MLHUB_DEPLOY_MAX_BUNDLE_BYTES',
      'MLHUB_DEPLOY_MAX_UNPACKED_BYTES',
      'MLHUB_DEPLOY_PRESIGN_SECONDS',
      'MLHUB_DEPLOY_OIDC_ISSUER',
      'MLHUB_DEPLOY_OIDC_AUDIENCE',
      'MLHUB_DEPLOY_OIDC_JWKS_URI',
      'MLHUB_DEPLOY_OIDC_TOKEN_USE',
      'MLHUB_DEPLOY_OIDC_USER_CLAIM',
      'MLHUB_DEPLOY_USER_POOL_SELF_SIGN_UP',
      'MLHUB_DEPLOY_USER_POOL_THREAT_PROTECTION',
      'MLHUB_DEPLOY_USER_POOL_SES_FROM_EMAIL',
      'MLHUB_DEPLOY_USER_POOL_SES_FROM_NAME',
      'MLHUB_DEPLOY_USER_POOL_SES_VERIFIED_DOMAIN',
      'MLHUB_DEPLOY_USER_POOL_SES_CONFIGURATION_SET',
      'MLHUB_DEPLOY_USER_POOL_SES_REGION',
      'MLHUB_DEPLOY_ALARM_TOPIC',
      'MLHUB_DEPLOY_ALARM_EMAIL',
      'MLHUB_DEPLOY_MONTHLY_BUDGET_USD',
      'MLHUB_DEPLOY_PREDICT_RESERVED_CONCURRENCY',
      'MLHUB_DEPLOY_FINALIZER_RESERVED_CONCURRENCY',
      'MLHUB_DEPLOY_JOB_CONCURRENCY',
      'MLHUB_DEPLOY_ENDPOINT_MAX_MEMORY_MB',
      'MLHUB_DEPLOY_ENDPOINT_MAX_CONCURRENCY',
      'MLHUB_DEPLOY_ENDPOINTS_PER_MODEL',
      'MLHUB_DEPLOY_ENDPOINTS_PER_USER',
      'MLHUB_DEPLOY_ENDPOINT_PICKLES',
      'MLHUB_DEPLOY_DOI_PREFIX',
      'MLHUB_DEPLOY_DATACITE_REPOSITORY_ID',
      'MLHUB_DEPLOY_DATACITE_SECRET_NAME',
      'MLHUB_DEPLOY_DATACITE_ENDPOINT',
      'MLHUB_DEPLOY_DOI_PUBLISHER',
    ]);
    expect(STACK_OPTIONS).toEqual(Object.keys(DEFAULT_STACK_CONFIG));
  });

  it('reads the bundle size limit in bytes or binary units, from the command line or cdk.json', () => {
    expect(read({ maxBundleBytes: '1048576' }).maxBundleBytes).toBe(1024 ** 2);
    expect(read({ maxBundleBytes: '512MiB' }).maxBundleBytes).toBe(512 * 1024 ** 2);
    expect(read({ maxBundleBytes: '2048 kib' }).maxBundleBytes).toBe(2 * 1024 ** 2);
    expect(read({ maxBundleBytes: '5TiB', maxUnpackedBytes: '5TiB' }).maxBundleBytes).toBe(5 * 1024 ** 4);
    expect(read({ maxBundleBytes: 2 * 1024 ** 3 }).maxBundleBytes).toBe(2 * 1024 ** 3);
    expect(read({ presignSeconds: 60 }).presignSeconds).toBe(60);
  });

  it('never lets maxBundleBytes exceed maxUnpackedBytes: refused naming both when given, clamped to it when not', () => {
    expect(() => read({ maxBundleBytes: '30GiB' })).toThrow(/'maxBundleBytes' .*: 32212254720 bytes is more than maxUnpackedBytes \(21474836480 bytes\)/);
    expect(() => read({ maxBundleBytes: '2GiB', maxUnpackedBytes: '1GiB' })).toThrow(/lower maxBundleBytes or raise maxUnpackedBytes/);
    expect(read({ maxUnpackedBytes: '8GiB' })).toMatchObject({ maxBundleBytes: 8 * 1024 ** 3, maxUnpackedBytes: 8 * 1024 ** 3 });
    // Not given, the upload limit is 50 GiB as far as the unpacked limit allows.
    expect(read({ maxUnpackedBytes: '100GiB' })).toMatchObject({ maxBundleBytes: 50 * 1024 ** 3, maxUnpackedBytes: 100 * 1024 ** 3 });
    expect(read({ maxBundleBytes: '20GiB' }).maxBundleBytes).toBe(20 * 1024 ** 3);
  });

  it('reads reserved concurrency as a whole number, with 0 or none for unreserved', () => {
    expect(read({ predictReservedConcurrency: '0', finalizerReservedConcurrency: 'None' })).toMatchObject({ predictReservedConcurrency: 0, finalizerReservedConcurrency: 0 });
    expect(read({ predictReservedConcurrency: 25 }).predictReservedConcurrency).toBe(25);
  });

  it('refuses, in the functions too, an upload limit above the unpacked limit, naming both variables; unset, it is clamped', () => {
    const env = { [CONFIG_ENV.table]: 't', [CONFIG_ENV.bucket]: 'b' };
    expect(() => loadFunctionConfig({ ...env, [CONFIG_ENV.maxBundleBytes]: '2000', [CONFIG_ENV.maxUnpackedBytes]: '1000' }))
      .toThrow(/MLHUB_MAX_BUNDLE_BYTES \(2000\) must not exceed MLHUB_MAX_UNPACKED_BYTES \(1000\)/);
    expect(loadFunctionConfig({ ...env, [CONFIG_ENV.maxUnpackedBytes]: '1000' }).uploads.maxBundleBytes).toBe(1000);
  });

  it('defaults the upload settings to what the functions assume when not told (MLHUB_MAX_BUNDLE_BYTES, MLHUB_PRESIGN_SECONDS unset)', () => {
    const { uploads } = loadFunctionConfig({ [CONFIG_ENV.table]: 't', [CONFIG_ENV.bucket]: 'b' });
    expect({ maxBundleBytes: DEFAULT_STACK_CONFIG.maxBundleBytes, presignSeconds: DEFAULT_STACK_CONFIG.presignSeconds })
      .toEqual({ maxBundleBytes: uploads.maxBundleBytes, presignSeconds: uploads.presignSeconds });
  });

  it('collects the SageMaker endpoint patterns of every model type, once each', () => {
    const config = read({ modelBackends: JSON.stringify({ PyTorch: { sagemakerEndpointArns: [ENDPOINT] }, Keras: { sagemakerEndpointArns: [ENDPOINT] }, ONNX: { kind: 'tfaas', url: 'https://x.example.org' } }) });
    expect(sagemakerEndpointArns(config.modelBackends)).toEqual([ENDPOINT]);
    expect(sagemakerEndpointArns({})).toEqual([]);
  });
});
