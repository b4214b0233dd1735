import { parseArgs } from 'node:util';
import { Clients, GLOBAL_OPTIONS, globalOptions, MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS, type GlobalOptions } from './common';

/** Where a command reads and writes: the process's streams, or captured ones in tests. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin: NodeJS.ReadableStream;
  /** A person can answer questions on stdin. */
  readonly stdinIsTTY: boolean;
  /** stderr is a terminal: progress bars are drawn only there. */
  readonly stderrIsTTY: boolean;
}

/** One command-line option, as parsed and as shown by `--help`. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** Placeholder of a string option's value in the help, e.g. `URL`. */
  readonly value?: string;
  readonly description: string;
}

/** What a command's `run` gets. */
export interface CommandContext {
  /** The command's own options (global ones are in `globals`), unvalidated. */
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly globals: GlobalOptions;
  readonly clients: Clients;
  readonly io: Io;
}

/** A `fanout` command: one module under bin/commands/ each, registered by name in bin/fanout.ts. */
export interface Command {
  /** The words that select it, e.g. `dlq inspect`. */
  readonly name: string;
  /** One short sentence for the command list. */
  readonly summary: string;
  /** More for `--help`, after the summary. @default none */
  readonly description?: string;
  /** Options besides the global ones. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** At least one complete example command line for the help. */
  readonly examples: readonly string[];
  /** Does the work; resolves to the exit code (0 when nothing is returned). */
  run(context: CommandContext): Promise<number | void>;
}

/** Bad command-line input: one line for the user, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Splits a command's arguments into its own options and the global ones; bad input is a UsageError. */
export function parseCommandArgs(command: Command, args: readonly string[]): { values: CommandContext['values']; globals: GlobalOptions; help: boolean } {
  const specs = { ...GLOBAL_OPTIONS, ...command.options };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(args, specs), options: Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { type: spec.type }])), strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(parseErrorMessage(error as Error & { code?: string }));
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const name of Object.keys(command.options)) values[name] = parsed.values[name] as string | boolean | undefined;
  optionalInteger(parsed.values as CommandContext['values'], 'timeout', MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  return { values, globals: globalOptions(parsed.values), help: parsed.values.help === true };
}

/**
 * `--max -1` as `--max=-1`: node:util reads a value that starts with a dash as a mistake ("did you
 * forget the value?"); a negative number is a value, which the option's own check then refuses
 * with its range.
 */
function joinNegativeNumbers(args: readonly string[], specs: Readonly<Record<string, OptionSpec>>): string[] {
  const joined: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const name = args[index].startsWith('--') ? args[index].slice(2) : undefined;
    const next = args[index + 1];
    if (name !== undefined && specs[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${args[index]}=${next}`);
      index++;
    } else {
      joined.push(args[index]);
    }
  }
  return joined;
}

/** node:util's messages are long and multi-clause; on-call needs the option's name and the fix. */
function parseErrorMessage(error: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': return `unknown option ${option}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (error.message.includes('argument missing')) return `${option} needs a value`;
      if (error.message.includes('ambiguous')) return `${option} needs a value (one that starts with "-" goes as ${option}=VALUE)`;
      return `${option} takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''}: every value goes after its --option`;
    default: return error.message.split('\n')[0];
  }
}

/** The value of a string option that must be given. */
export function requiredString(values: CommandContext['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** The value of an optional string option. */
export function optionalString(values: CommandContext['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** An optional whole-number option within [min, max]. */
export function optionalInteger(values: CommandContext['values'], name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = optionalString(values, name);
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    const range = max !== Number.MAX_SAFE_INTEGER ? `a whole number from ${min} to ${max}` : min === 1 ? 'a positive whole number' : `a whole number of at least ${min}`;
    throw new UsageError(`--${name} must be ${range}, got "${text}"`);
  }
  return value;
}

/** The `--help` text of a command: usage, options, global options, examples. */
export function helpText(command: Command): string {
  const about = command.description ? `${command.summary} ${command.description}` : command.summary;
  const lines = [`Usage: fanout ${command.name} [options]`, '', about, '', 'Options:', ...optionLines(command.options), '', 'Global options:', ...optionLines(GLOBAL_OPTIONS), '', 'Example:'];
  lines.push(...command.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}

function optionLines(specs: Readonly<Record<string, OptionSpec>>): string[] {
  const names = Object.entries(specs).map(([name, spec]) => [`--${name}${spec.value ? ` ${spec.value}` : ''}`, spec.description]);
  const width = Math.max(...names.map(([name]) => name.length));
  return names.map(([name, description]) => `  ${name.padEnd(width)}  ${description}`);
}
