import { Logger, LogLevelThreshold, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { redactSecrets } from './log-redaction';
import { OBSERVABILITY_ENV, SERVICE_NAME } from './observability-settings';
import { TextLogFormatter, textLogLine } from './text-log-format';

/**
 * Powertools prints every entry as JSON; the local runtime's readable lines need printing of
 * their own, through the same entry building, levels and redaction.
 */
class TextLogger extends Logger {
  protected override printLog(logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    // Straight to the streams, as Powertools' own Console does, whatever console has become.
    const line = `${textLogLine(log.getAttributes(), this.getJsonReplacer())}\n`;
    if (logLevel >= LogLevelThreshold.WARN) process.stderr.write(line);
    else process.stdout.write(line);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new TextLogger({ ...options, logFormatter: new TextLogFormatter() } as ConstructorOptions);
  }
}

/**
 * The logger of this function, made once per execution environment: Powertools' JSON on
 * stdout (service `mlhub`, cold start, function name and request id once a handler adds its
 * context), with every value passed through redactSecrets. With MLHUB_LOG_FORMAT=text (the local
 * runtime) the same entries are one readable line each. The level comes from POWERTOOLS_LOG_LEVEL
 * or Lambda's log level (INFO by default).
 */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const options = { serviceName: SERVICE_NAME, jsonReplacerFn: redactSecrets } as const;
  return env[OBSERVABILITY_ENV.logFormat] === 'text'
    ? new TextLogger({ ...options, logFormatter: new TextLogFormatter() })
    : new Logger(options);
}

export const logger = createLogger();
