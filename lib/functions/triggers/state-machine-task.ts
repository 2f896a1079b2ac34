import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { RouteFunction } from '../route-function';

/**
 * Lets a state machine's role invoke the function, and nothing more: `lambda:InvokeFunction` on
 * the function's own ARN (not `:*`, its versions and aliases, which a task that names the
 * function does not call). Retries are the state machine's.
 */
export const taskInvokeGrant = (handler: RouteFunction) => (stateMachineRole: IGrantable): Grant =>
  Grant.addToPrincipal({ grantee: stateMachineRole, actions: ['lambda:InvokeFunction'], resourceArns: [handler.function.functionArn] });
