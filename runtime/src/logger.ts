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
    write(logLine({ level, timestamp: new Date().toISOString(), message }, fields));
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

/** Longest string value a log line keeps; the rest is cut and counted. */
export const MAX_LOGGED_STRING = 8192;

/**
 * One JSON line, whatever `fields` hold: a handler may throw anything (a circular response
 * object, a BigInt, an object whose getters throw), and a logger that throws would fail the
 * whole batch instead of one record. Fields that cannot be written are replaced by the reason.
 */
export function logLine(head: { level: LogLevel; timestamp: string; message: string }, fields?: Record<string, unknown>): string {
  try {
    return JSON.stringify({ ...head, ...fields }, safeReplacer());
  } catch (error) {
    return JSON.stringify({ ...head, logError: `fields could not be written: ${describeThrown(error)}` });
  }
}

/**
 * A JSON.stringify replacer that never throws on what it meets: Errors keep name, message, stack
 * and cause (JSON.stringify would write {}), BigInts become strings, a reference back to an
 * enclosing object becomes "[Circular]", long strings are cut.
 */
function safeReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function replace(this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string') return value.length > MAX_LOGGED_STRING ? `${value.slice(0, MAX_LOGGED_STRING)}…(${value.length - MAX_LOGGED_STRING} more characters)` : value;
    if (typeof value !== 'object' || value === null) return value;
    // `this` is the object holding `value`: drop the ancestors that are not on its path.
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
    if (ancestors.includes(value)) return '[Circular]';
    const written = value instanceof Error ? errorFields(value) : value;
    // Both: `value` to recognise a cycle back to it, `written` as the holder of its own fields.
    ancestors.push(value, written);
    return written;
  };
}

function errorFields(error: Error): Record<string, unknown> {
  return { name: error.name, message: error.message, stack: error.stack, ...(error.cause !== undefined && { cause: error.cause }) };
}

/** A thrown value as text, even one whose toString throws or that has none. */
export function describeThrown(thrown: unknown): string {
  try {
    return thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  } catch {
    return Object.prototype.toString.call(thrown);
  }
}
