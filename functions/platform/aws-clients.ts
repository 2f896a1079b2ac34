import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from '../observability/tracing';
import { watchTableChanges } from '../store/table-changes';
import type { FunctionConfig } from './function-config';

/*
 * Every AWS SDK client a function uses is made here, and registered for X-Ray (traced): its calls
 * show as subsegments of the function's trace when tracing is on (functions/observability/tracing.ts).
 */

/** `config` is for scripts that reach a table from outside a function (scripts/offboard-user.ts); functions pass none. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  // The document client sends through the DynamoDB client's middleware stack, which is the one traced.
  const dynamodb = traced(new DynamoDBClient(config));
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  // The local runtime's stand-in for the table's stream (dynalite has none); nothing in Lambda.
  watchTableChanges(documents);
  return documents;
}

/**
 * Checksums only where S3 demands them: otherwise the presigner bakes the checksum of an empty
 * body into every presigned upload URL, and S3 then refuses the real bytes.
 */
export function createS3Client(config: Pick<FunctionConfig, 's3ForcePathStyle'>): S3Client {
  return traced(new S3Client({ forcePathStyle: config.s3ForcePathStyle, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }));
}

/** For models served by SageMaker endpoints. */
export function createSageMakerRuntimeClient(): SageMakerRuntimeClient {
  return traced(new SageMakerRuntimeClient({}));
}

/** For deploying versions to SageMaker endpoints (functions/frameworks/sagemaker-deployer.ts). */
export function createSageMakerClient(): SageMakerClient {
  return traced(new SageMakerClient({}));
}

/** For invoking another MLHub function (functions/platform/function-invoker.ts). */
export function createLambdaClient(): LambdaClient {
  return traced(new LambdaClient({}));
}

/** For asking the stack's user pool whether a personal access token's user is still enabled. */
export function createCognitoClient(): CognitoIdentityProviderClient {
  return traced(new CognitoIdentityProviderClient({}));
}

/** For sending to a queue of the function catalogue (queue-sender.ts). */
export function createSqsClient(): SQSClient {
  return traced(new SQSClient({}));
}

/** For reading a secret the stack names, such as DataCite's repository password. */
export function createSecretsManagerClient(): SecretsManagerClient {
  return traced(new SecretsManagerClient({}));
}

/** For starting and stopping runs of the job state machine (functions/jobs/job-execution.ts). */
export function createSfnClient(): SFNClient {
  return traced(new SFNClient({}));
}
