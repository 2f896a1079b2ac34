/**
 * TEST FIXTURE: a process that runs a local SageMaker with one endpoint, as `npm start` does, so
 * that a test can kill it (kill -9) and see what becomes of its worker. Run with tsx; reads
 * MLHUB_TEST_DATA_DIR (the state folder), MLHUB_TEST_SCRIPTS_DIR (serve.py and the sklearn scripts)
 * and MLHUB_TEST_MODEL (model.joblib's text); prints `in service <pid>` once its worker answers.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buildScriptsArchive } from '../../../functions/frameworks/scripts-archive';
import { LocalSageMaker } from '../../../local/sagemaker/control-plane';
import { modelBundle } from '../inference/bundles';

const dataDir = process.env.MLHUB_TEST_DATA_DIR as string;
const scriptsDir = process.env.MLHUB_TEST_SCRIPTS_DIR as string;
const objects = new Map<string, Buffer>([
  ['assets/sklearn.tar.gz', buildScriptsArchive('sklearn', scriptsDir).bytes],
  ['bundles/model.tar.gz', await modelBundle({ 'model.joblib': process.env.MLHUB_TEST_MODEL ?? '{"w": [1], "b": 0}' })],
]);
const sagemaker = new LocalSageMaker({
  directory: dataDir, region: 'us-east-1', account: '000000000000',
  openObject: async (bucket, key) => Readable.from([objects.get(`${bucket}/${key}`) ?? Buffer.alloc(0)]),
  python: '/usr/bin/python3', serveScript: join(scriptsDir, 'serve.py'), startTimeoutMs: 60_000, idleMs: 3_600_000,
  log: (line) => process.stderr.write(`${line}\n`),
});
await sagemaker.open();
const name = 'ep-orphan';
await sagemaker.operate('CreateModel', {
  ModelName: name, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/r',
  PrimaryContainer: {
    Image: 'sklearn-image', ModelDataUrl: 's3://bundles/model.tar.gz',
    Environment: { SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/additional-model-data-sources/mlhub-scripts', MLHUB_ALLOW_PICKLES: '1' },
    AdditionalModelDataSources: [{ ChannelName: 'mlhub-scripts', S3DataSource: { S3Uri: 's3://assets/sklearn.tar.gz', S3DataType: 'S3Object', CompressionType: 'Gzip' } }],
  },
});
await sagemaker.operate('CreateEndpointConfig', { EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, ServerlessConfig: { MemorySizeInMB: 1024, MaxConcurrency: 1 } }] });
await sagemaker.operate('CreateEndpoint', { EndpointName: name, EndpointConfigName: name });
for (;;) {
  const described = await sagemaker.operate('DescribeEndpoint', { EndpointName: name });
  if (described.EndpointStatus === 'InService') break;
  if (described.EndpointStatus === 'Failed') throw new Error(String(described.FailureReason));
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const reply = await sagemaker.invoke(name, Buffer.from('{"instances": [[1]]}'), 'application/json', 'application/json');
process.stdout.write(`in service ${reply.status}\n`);
// Held open until killed.
setInterval(() => undefined, 60_000);
