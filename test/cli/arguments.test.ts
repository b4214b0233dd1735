/*
 * The command line itself: help for every command, and bad arguments as one line on stderr with
 * exit code 2 (run-time failures: failures.integ.test.ts).
 */
import { COMMANDS } from '@cdk-fanout/cli';
import { fanout } from './support/run';

describe('help', () => {
  test.each(Object.keys(COMMANDS))('fanout %s --help: usage, every option, the global ones, an example; exit 0', async (name) => {
    const run = await fanout([...name.split(' '), '--help'], { local: false });

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: fanout ${name} \\[options\\]\\n`));
    for (const option of Object.keys(COMMANDS[name].options)) expect(run.stdout).toContain(`--${option}`);
    for (const option of ['--region', '--profile', '--endpoint', '--verbose']) expect(run.stdout).toContain(option);
    expect(run.stdout).toMatch(new RegExp(`\\nExample:\\n  fanout ${name} --`));
  });

  test('fanout --help lists the commands; no arguments at all prints them to stderr with exit 2', async () => {
    const help = await fanout(['--help'], { local: false });
    const nothing = await fanout([], { local: false });

    expect(help.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(help.stdout).toContain(`  ${name}  `);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toBe(help.stdout);
  });
});

test('fanout --version prints the version of @cdk-fanout/cli, from its package.json', async () => {
  const { version } = require('../../cli/package.json') as { version: string };

  for (const flag of ['--version', '-v']) {
    expect(await fanout([flag], { local: false })).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  }
  expect(version).toMatch(/^\d+\.\d+\.\d+/);
});

describe('bad arguments: one line, exit 2', () => {
  test.each([
    [['dlq', 'peek'], 'fanout: unknown command "dlq peek"; commands: dlq inspect, dlq redrive, dlq purge, publish, rabbitmq declare, local (see fanout --help)'],
    [['dlq', 'inspect', '--queue', 'u'], 'fanout dlq inspect: unknown option --queue (see fanout dlq inspect --help)'],
    [['dlq', 'inspect', '--queue-url'], 'fanout dlq inspect: --queue-url needs a value (see fanout dlq inspect --help)'],
    [['dlq', 'purge', '--yes=no', '--queue-url', 'u'], 'fanout dlq purge: --yes takes no value (see fanout dlq purge --help)'],
    [['dlq', 'inspect', 'https://queue'], 'fanout dlq inspect: unexpected argument https://queue: every value goes after its --option (see fanout dlq inspect --help)'],
    [['dlq', 'inspect'], 'fanout dlq inspect: --queue-url is required (or --stack with --consumer) (see fanout dlq inspect --help)'],
    [['dlq', 'inspect', '--stack', 'S'], 'fanout dlq inspect: --queue-url is required (or --stack with --consumer) (see fanout dlq inspect --help)'],
    [['dlq', 'redrive', '--queue-url', 'u', '--stack', 'S', '--consumer', 'C'], 'fanout dlq redrive: give either --queue-url or --stack with --consumer, not both (see fanout dlq redrive --help)'],
    [['dlq', 'redrive', '--queue-url', 'u', '--max', '0'], 'fanout dlq redrive: --max must be a positive whole number, got "0" (see fanout dlq redrive --help)'],
    [['dlq', 'redrive', '--queue-url', 'u', '--rate', '501'], 'fanout dlq redrive: --rate must be a whole number from 1 to 500, got "501" (see fanout dlq redrive --help)'],
    [['dlq', 'inspect', '--queue-url', 'u', '--max', '1.5'], 'fanout dlq inspect: --max must be a positive whole number, got "1.5" (see fanout dlq inspect --help)'],
    [['publish', '--topic-arn', 'arn', '--data', '{}'], 'fanout publish: --type is required (see fanout publish --help)'],
    [['local', '--rabbitmq-url', 'localhost:5672'], 'fanout local: --rabbitmq-url must be an AMQP URL (amqp://user:password@host:5672), got "localhost:5672" (see fanout local --help)'],
    [['dlq', 'inspect', '--queue-url', 'u', '--max', '-1'], 'fanout dlq inspect: --max must be a positive whole number, got "-1" (see fanout dlq inspect --help)'],
    [['dlq', 'redrive', '--queue-url', 'u', '--rate', '-5'], 'fanout dlq redrive: --rate must be a whole number from 1 to 500, got "-5" (see fanout dlq redrive --help)'],
    [['dlq', 'inspect', '--queue-url', '-u'], 'fanout dlq inspect: --queue-url needs a value (one that starts with "-" goes as --queue-url=VALUE) (see fanout dlq inspect --help)'],
  ])('%j', async (args, message) => {
    const run = await fanout(args, { local: false });

    expect(run).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });
});
