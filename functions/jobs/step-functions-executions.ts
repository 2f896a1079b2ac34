import { StartExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

/** What a job's execution is given: its id only (functions/jobs/job-steps.ts PlanJobInput). */
export interface JobExecutionInput {
  readonly jobId: string;
}

const STATE_MACHINE_ARN = /^(arn:[^:]+:states:[^:]*:[^:]*:)stateMachine:([^:]+)$/;

/**
 * The ARN of the execution named `name` of a state machine (Step Functions' format):
 * `arn:<partition>:states:<region>:<account>:stateMachine:<machine>` gives
 * `arn:<partition>:states:<region>:<account>:execution:<machine>:<name>`. Throws for anything but
 * an unqualified state machine ARN.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const match = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (!match) throw new Error(`'${stateMachineArn}' is not a state machine ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>)`);
  return `${match[1]}execution:${match[2]}:${name}`;
}

const errorName = (error: unknown): string | undefined => (error as { name?: string } | undefined)?.name;

/**
 * Runs of the job state machine (lib/jobs/job-state-machine.ts), one execution per job, named by
 * the job id: Step Functions keeps a standard execution's name unique per state machine for 90
 * days, so a start repeated (a retried request, a crash between the record and the start) starts
 * nothing more.
 */
export class StepFunctionsJobExecutions {
  constructor(private readonly client: SFNClient, private readonly stateMachineArn: string) {}

  /**
   * StartExecution named `jobId` with input `{"jobId"}`. ExecutionAlreadyExists (that name was
   * started before, with this input or, closed, any) counts as started: the job has its run.
   */
  async start(jobId: string): Promise<void> {
    const input: JobExecutionInput = { jobId };
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: jobId, input: JSON.stringify(input) }));
    } catch (error) {
      if (errorName(error) === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }

  /**
   * StopExecution of the job's execution, with `cause`. Returns false when there is none to stop
   * (ExecutionDoesNotExist: never started, or its history is gone); other errors throw.
   */
  async stop(jobId: string, cause: string): Promise<boolean> {
    try {
      await this.client.send(new StopExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, jobId), cause: cause.slice(0, 32_768) }));
      return true;
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') return false;
      throw error;
    }
  }
}
