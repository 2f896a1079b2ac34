/**
 * Starting and stopping a job's run in the cloud: job-execution.ts through the real
 * @aws-sdk/client-sfn, against a small server speaking Step Functions' published protocol (AWS
 * JSON 1.0: POST / with X-Amz-Target `AWSStepFunctions.<Operation>`, errors as `__type` and
 * `message`) that records each call for the test to assert. Cancelling (job-creation.ts
 * cancelJob) over the job store on dynalite: only a job cancelled while queued has its run stopped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../../functions/jobs/dynamo-job-store';
import { userActor } from '../../../functions/identity/actor';
import { cancelJob } from '../../../functions/jobs/job-creation';
import { attachJobExecutionStarter, JOB_STATE_MACHINE_ENV, jobExecutionAvailable, startJobExecution, stopQueuedJobExecution } from '../../../functions/jobs/job-execution';
import { newJobId, type JobRecord } from '../../../functions/jobs/job-records';
import { executionArnOf } from '../../../functions/jobs/step-functions-executions';
import { startEmbeddedStores, type EmbeddedStores } from '../../support/embedded-stores';
import { startProtocolServer, type ProtocolServer, type ReceivedRequest, type Reply } from '../../support/inference/protocol-server';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:MlHub-test-jobs';
const NOW = '2026-12-01T00:00:00.000Z';

interface Call { readonly operation: string; readonly input: Record<string, unknown> }

/** Step Functions' StartExecution and StopExecution, with the faults a test sets per job id. */
class FakeStepFunctions {
  calls: Call[] = [];
  /** Job id (execution name) → the error `__type` the next call about it answers. */
  faults = new Map<string, string>();

  handle = (request: ReceivedRequest): Reply => {
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/');
    expect(request.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(String(request.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=TESTKEY\/\d{8}\/eu-west-1\/states\/aws4_request/);
    const target = String(request.headers['x-amz-target']);
    expect(target).toMatch(/^AWSStepFunctions\.(StartExecution|StopExecution)$/);
    const operation = target.slice('AWSStepFunctions.'.length);
    const input = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    this.calls.push({ operation, input });
    const name = operation === 'StartExecution' ? String(input.name) : String(input.executionArn).split(':').pop() ?? '';
    const fault = this.faults.get(name);
    if (fault) return { status: 400, json: { __type: `com.amazonaws.swf.service.model#${fault}`, message: `${fault} for ${name}` } };
    return operation === 'StartExecution'
      ? { json: { executionArn: executionArnOf(String(input.stateMachineArn), name), startDate: 1_764_547_200 } }
      : { json: { stopDate: 1_764_547_260 } };
  };
}

const cloud = { [JOB_STATE_MACHINE_ENV]: MACHINE };
let server: ProtocolServer;
let fake: FakeStepFunctions;
let stores: EmbeddedStores;
let jobs: DynamoJobStore;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  fake = new FakeStepFunctions();
  server = await startProtocolServer((request) => fake.handle(request));
  // The SDK's own configuration, as a function has it: the endpoint here, static credentials, no retries of a 400.
  const env = { AWS_ENDPOINT_URL_SFN: server.url, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'TESTKEY', AWS_SECRET_ACCESS_KEY: 'TESTSECRET', AWS_MAX_ATTEMPTS: '1' };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  stores = await startEmbeddedStores();
  jobs = new DynamoJobStore(stores.documents, stores.tableName);
});

afterEach(() => {
  fake.calls = [];
  fake.faults.clear();
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await server?.close();
  await stores?.close();
});

describe('starting a job in the cloud', () => {
  it('can start jobs only where the stack gave the state machine ARN (else POST answers 503 jobs_not_configured)', () => {
    expect(jobExecutionAvailable({})).toBe(false);
    expect(jobExecutionAvailable({ [JOB_STATE_MACHINE_ENV]: '' })).toBe(false);
    expect(jobExecutionAvailable(cloud)).toBe(true);
  });

  it('calls StartExecution on that state machine, named by the job id, with {"jobId"} as input', async () => {
    const jobId = newJobId();
    await startJobExecution(jobId, cloud);
    expect(fake.calls).toEqual([{ operation: 'StartExecution', input: { stateMachineArn: MACHINE, name: jobId, input: JSON.stringify({ jobId }) } }]);
  });

  it('takes ExecutionAlreadyExists (the job was started before) as started, and throws any other refusal', async () => {
    const again = newJobId();
    fake.faults.set(again, 'ExecutionAlreadyExists');
    await expect(startJobExecution(again, cloud)).resolves.toBeUndefined();
    const missing = newJobId();
    fake.faults.set(missing, 'StateMachineDoesNotExist');
    await expect(startJobExecution(missing, cloud)).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    expect(fake.calls.map((call) => [call.operation, call.input.name])).toEqual([['StartExecution', again], ['StartExecution', missing]]);
  });

  it('throws without the ARN, calling nothing', async () => {
    await expect(startJobExecution(newJobId(), {})).rejects.toThrow(JOB_STATE_MACHINE_ENV);
    expect(fake.calls).toEqual([]);
  });

  it('hands starts to the local runner when one is attached, and stops nothing then', async () => {
    const started: string[] = [];
    const detach = attachJobExecutionStarter(async (jobId) => void started.push(jobId));
    try {
      const jobId = newJobId();
      expect(jobExecutionAvailable({})).toBe(true);
      await startJobExecution(jobId, cloud);
      expect(await stopQueuedJobExecution(jobId, cloud)).toEqual({ stopped: false });
      expect(started).toEqual([jobId]);
      expect(fake.calls).toEqual([]);
    } finally {
      detach();
    }
  });
});

describe('stopping the run of a job cancelled while queued', () => {
  it("calls StopExecution on the execution's ARN, the state machine's with the job id as its name", async () => {
    const jobId = newJobId();
    expect(await stopQueuedJobExecution(jobId, cloud)).toEqual({ stopped: true });
    expect(fake.calls).toEqual([{ operation: 'StopExecution', input: { executionArn: `arn:aws:states:eu-west-1:123456789012:execution:MlHub-test-jobs:${jobId}`, cause: 'cancelled by its owner while queued' } }]);
  });

  it('reports an execution that does not exist as not stopped, and any other failure as its message, never throwing', async () => {
    const never = newJobId();
    fake.faults.set(never, 'ExecutionDoesNotExist');
    expect(await stopQueuedJobExecution(never, cloud)).toEqual({ stopped: false });
    const denied = newJobId();
    fake.faults.set(denied, 'AccessDeniedException');
    expect(await stopQueuedJobExecution(denied, cloud)).toEqual({ stopped: false, error: `AccessDeniedException for ${denied}` });
    expect(await stopQueuedJobExecution(newJobId(), {})).toEqual({ stopped: false });
  });

  it('derives execution ARNs from unqualified state machine ARNs only', () => {
    expect(executionArnOf('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m', 'job_1')).toBe('arn:aws-cn:states:cn-north-1:123456789012:execution:m:job_1');
    expect(() => executionArnOf(`${MACHINE}:live`, 'job_1')).toThrow('not a state machine ARN');
    expect(() => executionArnOf('arn:aws:lambda:eu-west-1:123456789012:function:f', 'job_1')).toThrow('not a state machine ARN');
  });

  it('is asked of a job cancelled while queued only: a running one ends through its steps, whose finalizer removes its parts', async () => {
    const owner = userActor('olive', 'session');
    const job = (state: 'queued' | 'running'): JobRecord => ({
      id: newJobId(), owner: 'olive', model: 'm', version: 1, dataset: 'ds_000000000000000000000000', format: 'jsonl', onError: { mode: 'fail', toleratedPercent: 0 },
      state, createdAt: NOW, updatedAt: NOW, rowsDone: 0, rowsFailed: 0, chunksDone: 0, chunksFailed: 0, firstErrors: [],
    });
    const queued = job('queued');
    const running = job('queued');
    await jobs.put(queued);
    await jobs.put(running);
    expect(await jobs.start(running.id, { rowsTotal: 10, chunksTotal: 1, outputColumns: undefined, startedAt: NOW }, NOW)).toBe(true);
    const stopped: string[] = [];
    const stop = async (jobId: string) => void stopped.push(jobId);
    expect(await cancelJob(jobs, owner, queued.id, new Date(NOW), stop)).toMatchObject({ state: 'cancelled', reason: 'cancelled by its owner' });
    expect(await cancelJob(jobs, owner, running.id, new Date(NOW), stop)).toMatchObject({ state: 'cancelled', reason: 'cancelled by its owner' });
    // Cancelled already: answered as it is, nothing stopped again.
    expect(await cancelJob(jobs, owner, queued.id, new Date(NOW), stop)).toMatchObject({ state: 'cancelled' });
    expect(stopped).toEqual([queued.id]);
  });
});
