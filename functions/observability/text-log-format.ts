import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * The local runtime's log format: what a person reading a terminal needs. It leaves out what is
 * the same on every line of one process (service, function ARN and memory, sampling rate, X-Ray
 * trace id) and keeps the rest in reading order: time, level, message, then the entry's keys.
 */
export class TextLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        timestamp: this.formatTimestamp(attributes.timestamp),
        level: attributes.logLevel,
        message: attributes.message,
        // Every function shares one process locally, so only the first invocation of all is cold.
        ...(attributes.lambdaContext?.coldStart ? { cold_start: true } : {}),
      },
    }).addAttributes(additionalLogAttributes);
  }
}

const BARE_VALUE = /^[^\s"]+$/;

/**
 * One entry as one line: `2026-11-30T14:40:20.123Z ERROR unhandled error route_id=createModel
 * error="TypeError: boom (functions/handlers/create-model.ts:12)"`. Values pass through `replacer`
 * first (the logger's, so credentials are redacted as in JSON); errors show as name, message and
 * where they were thrown, without the stack, which stays in the JSON format.
 */
export function textLogLine(attributes: LogAttributes, replacer: (key: string, value: unknown) => unknown): string {
  const { timestamp, level, message, ...rest } = attributes;
  const show = (key: string, value: unknown): string => {
    const replaced = replacer(key, value instanceof Error ? describeError(value) : value);
    const text = typeof replaced === 'string' ? replaced : JSON.stringify(replaced, replacer);
    return BARE_VALUE.test(text) ? text : JSON.stringify(text);
  };
  const fields = Object.entries(rest).filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${show(key, value)}`);
  return [String(timestamp), String(level).padEnd(5), String(replacer('message', message) ?? ''), ...fields].join(' ');
}

function describeError(error: Error): string {
  // The first frame: `at name (file:line:column)`, or `at file:line:column` for anonymous code.
  const location = /^\s*at (?:[^(\n]*\()?([^()\n]*?):(\d+):\d+\)?$/m.exec(error.stack ?? '');
  const cause = error.cause instanceof Error ? `; cause: ${describeError(error.cause)}` : '';
  return `${error.name}: ${error.message}${location ? ` (${location[1]}:${location[2]})` : ''}${cause}`;
}
