/*
 * `fanout`: the on-call command line of cdk-fanout. Finds the command named by the first words
 * of the arguments, parses its options, runs it, and turns any failure into one line on stderr
 * and a non-zero exit code.
 */
import { Clients } from './commands/common';
import { helpText, parseCommandArgs, UsageError, type Command, type Io } from './commands/command';
import { dlqInspect } from './commands/dlq-inspect';
import { dlqPurge } from './commands/dlq-purge';
import { dlqRedrive } from './commands/dlq-redrive';
import { local } from './commands/local';
import { publish } from './commands/publish';
import { rabbitmqDeclare } from './commands/rabbitmq-declare';

/** Every command by the words that select it. A new command is one module and one line here. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  'dlq inspect': dlqInspect,
  'dlq redrive': dlqRedrive,
  'dlq purge': dlqPurge,
  publish,
  'rabbitmq declare': rabbitmqDeclare,
  local,
};

/** Exit codes: 0 success, 1 the command failed, 2 the command line was wrong. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Runs one command line (without `node` and the script) and resolves to its exit code; never throws. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) return unknownCommand(argv, io);
  const { command, args } = found;
  const verbose = args.includes('--verbose');
  let clients: Clients | undefined;
  try {
    const { values, globals, help } = parseCommandArgs(command, args);
    if (help) {
      io.stdout.write(helpText(command));
      return 0;
    }
    clients = new Clients(globals);
    return (await command.run({ values, globals, clients, io })) ?? 0;
  } catch (error) {
    io.stderr.write(`fanout ${command.name}: ${oneLine(error)}${error instanceof UsageError ? ` (see fanout ${command.name} --help)` : ''}\n`);
    if (verbose) io.stderr.write(`${stackTrace(error)}\n`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    clients?.destroy();
  }
}

/** The command named by the first two words, or else the first one. */
function findCommand(argv: readonly string[]): { command: Command; args: readonly string[] } | undefined {
  for (const words of [2, 1]) {
    const command = argv.length >= words ? COMMANDS[argv.slice(0, words).join(' ')] : undefined;
    if (command) return { command, args: argv.slice(words) };
  }
  return undefined;
}

function unknownCommand(argv: readonly string[], io: Io): number {
  const asked = argv.filter((arg) => !arg.startsWith('-')).slice(0, 2).join(' ');
  if (argv.length === 0 || (asked === '' && (argv.includes('--help') || argv.includes('-h')))) {
    (argv.length === 0 ? io.stderr : io.stdout).write(commandList());
    return argv.length === 0 ? EXIT_USAGE : 0;
  }
  io.stderr.write(`fanout: unknown command "${asked}"; commands: ${Object.keys(COMMANDS).join(', ')} (see fanout --help)\n`);
  return EXIT_USAGE;
}

/** This package's version: its package.json is one directory up from both src/ and dist/. */
export function version(): string {
  return (require('../package.json') as { version: string }).version;
}

function commandList(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.values(COMMANDS).map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return ['Usage: fanout <command> [options]', '', 'Commands:', ...lines, '', 'Run fanout <command> --help for its options and an example; fanout --version prints the version.', ''].join('\n');
}

/** The SDK's words for "no credentials" do not say where it looked; on-call needs the knobs. */
const CREDENTIALS_HINT = ' (set --profile, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';

/** An error as one line: AWS errors keep their code (e.g. `QueueDoesNotExist: …`). */
export function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error).replace(/\s+/g, ' ');
  const prefix = error.name && !['Error', 'UsageError'].includes(error.name) && !error.message.startsWith(error.name) ? `${error.name}: ` : '';
  const hint = error.name === 'CredentialsProviderError' ? CREDENTIALS_HINT : '';
  return `${prefix}${error.message}`.replace(/\s+/g, ' ').trim() + hint;
}

/** The stack, then each cause's: an SDK error often wraps the one that explains it. */
function stackTrace(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) parts.push(current.stack ?? current.message);
  return parts.join('\nCaused by: ') || String(error);
}

/** The process's own streams. */
function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, stdinIsTTY: process.stdin.isTTY === true, stderrIsTTY: process.stderr.isTTY === true };
}

/** Runs the command line of this process and sets its exit code. */
export async function runFromProcess(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), processIo());
}
