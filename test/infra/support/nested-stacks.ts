import type { NestedStack } from 'aws-cdk-lib';
import { nestedTemplateOf, type SynthesizedMlHub } from './synthesize';
import { logicalIdOf, referencedId, resourceById } from './template-views';

/**
 * Follows a value of a nested stack's template to what it refers to: a resource of that nested
 * stack itself, or, through the parameter CDK made for it, a resource of the parent, or one of a
 * sibling nested stack (whose output the parent passes on). Returns that resource's logical id
 * in its own template; undefined for a value that refers to nothing.
 */
export function originIn(synth: SynthesizedMlHub, nested: NestedStack, value: unknown): string | undefined {
  const id = referencedId(value);
  if (id === undefined) return undefined;
  const given = (resourceById(synth.template, logicalIdOf(nested.nestedStackResource as never)).Properties.Parameters as Record<string, unknown> | undefined)?.[id];
  if (given === undefined) return id;
  const attribute = (given as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (attribute && attribute[1].startsWith('Outputs.')) {
    const sibling = [...synth.nestedTemplates.keys()].find((candidate) => logicalIdOf(candidate.nestedStackResource as never) === attribute[0]);
    if (!sibling) throw new Error(`No nested stack ${attribute[0]}`);
    const outputs = (nestedTemplateOf(synth, sibling).toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    return referencedId(outputs[attribute[1].slice('Outputs.'.length)]?.Value);
  }
  return referencedId(given);
}
