import type { FunctionTrigger } from './function-triggers';

/**
 * What invokes a function, in a few words: the start of its Lambda description, and of its line in
 * the bundle benchmark's report.
 */
export function describeTrigger(trigger: FunctionTrigger): string {
  switch (trigger.kind) {
    case 'http':
      return `The ${trigger.route} route`;
    case 's3':
      return `On ${trigger.events.join(', ')} for ${trigger.prefix}*${trigger.suffix} in the ${trigger.bucket.replaceAll('-', ' ')}`;
    case 'table-stream':
      return `On ${trigger.events.join(', ')} of items keyed ${trigger.keyPrefixes.map((prefix) => `${prefix.partitionKey}*${prefix.sortKey !== undefined ? ` / ${prefix.sortKey}*` : ''}`).join(' or ')}`;
    case 'queue':
      return `From the ${trigger.queue} queue`;
    case 'schedule':
      return `Every ${trigger.rateMinutes} minutes`;
    case 'state-machine-task':
      return 'A Step Functions task';
  }
}
