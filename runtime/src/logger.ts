/**
 * Structured logging: one JSON object per line on stdout. Written to `process.stdout` rather
 * than `console`, whose Lambda patch prefixes every line with text and breaks the JSON.
 */

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * Where the consumer logs. Any object with these four methods works (Powertools' Logger does);
 * `fields` are merged into the log line.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const SEVERITY: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

/** Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL; its TRACE and FATAL map onto the nearest level here. */
export function logLevelFromEnv(value: string | undefined): LogLevel {
  switch (value?.toUpperCase()) {
    case 'TRACE':
    case 'DEBUG':
      return 'DEBUG';
    case 'WARN':
      return 'WARN';
    case 'ERROR':
    case 'FATAL':
      return 'ERROR';
    default:
      return 'INFO';
  }
}

export const writeLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A logger that writes `{ level, timestamp, message, ...fields }` lines at `level` and above. */
export function createJsonLogger(options: { readonly level?: LogLevel; readonly write?: (line: string) => void } = {}): Logger {
  const threshold = SEVERITY[options.level ?? logLevelFromEnv(process.env.AWS_LAMBDA_LOG_LEVEL)];
  const write = options.write ?? writeLine;
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (SEVERITY[level] < threshold) return;
    write(JSON.stringify({ level, timestamp: new Date().toISOString(), message, ...fields }, errorsAsObjects));
  };
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

/** A logger that adds `fields` (a record's ids) to every line of `logger`. */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  return {
    debug: (message, extra) => logger.debug(message, { ...fields, ...extra }),
    info: (message, extra) => logger.info(message, { ...fields, ...extra }),
    warn: (message, extra) => logger.warn(message, { ...fields, ...extra }),
    error: (message, extra) => logger.error(message, { ...fields, ...extra }),
  };
}

// JSON.stringify turns an Error into {}: keep what an on-call engineer needs.
function errorsAsObjects(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  return value;
}
