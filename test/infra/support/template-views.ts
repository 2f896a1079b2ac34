import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

export interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

export const resourcesOfType = (template: Template, type: string): Record<string, Resource> =>
  template.findResources(type) as Record<string, Resource>;

export function resourceById(template: Template, logicalId: string): Resource {
  const resource = (template.toJSON() as { Resources: Record<string, Resource> }).Resources[logicalId];
  if (!resource) throw new Error(`No resource ${logicalId} in the template`);
  return resource;
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every IAM policy attached to a role. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((policy) => asList(policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** `{"Fn::GetAtt": [id, "Arn"]}`, the template form of a resource's ARN. */
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** The template form of `${arn}${suffix}`. */
export const arnWithSuffix = (logicalId: string, suffix: string) => ({ 'Fn::Join': ['', [arnOf(logicalId), suffix]] });

/** The logical id a `Ref` or `Fn::GetAtt` points at, if the value is one. */
export function referencedId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    if ('Ref' in value) return String((value as { Ref: unknown }).Ref);
    if ('Fn::GetAtt' in value) return String((value as { 'Fn::GetAtt': unknown[] })['Fn::GetAtt'][0]);
  }
  return undefined;
}

/** IAM's wildcard matching: `*` any run of characters (slashes included), `?` any one character. */
export function iamPatternMatches(pattern: string, value: string): boolean {
  const source = pattern.split('').map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`).test(value);
}

/**
 * A template value as CloudFormation would resolve it, given what each `Ref` stands for
 * (pseudo parameters included): `Ref` and `Fn::Join` only, which is all environment variables use.
 */
export function resolveTemplateValue(value: unknown, refs: Readonly<Record<string, string>>): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    if ('Ref' in value) {
      const name = String((value as { Ref: unknown }).Ref);
      const resolved = refs[name];
      if (resolved === undefined) throw new Error(`No value given for Ref ${name}`);
      return resolved;
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      return parts.map((part) => resolveTemplateValue(part, refs)).join(separator);
    }
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value)}`);
}
