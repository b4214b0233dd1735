/*
 * Failures the command line meets at run time (on fauxqs): one line on stderr, exit code 1, the
 * stack trace only with --verbose.
 */
import { fanout } from './support/run';

/** Exactly one line, ending in a newline. */
const ONE_LINE = /^[^\n]+\n$/;

describe('failures: one line, exit 1, the stack only with --verbose', () => {
  test('a queue that does not exist', async () => {
    const queueUrl = `${process.env.FANOUT_TEST_FAUXQS_ENDPOINT}/000000000000/cli-arguments-no-such-queue`;

    const quiet = await fanout(['dlq', 'inspect', '--queue-url', queueUrl]);
    const verbose = await fanout(['dlq', 'inspect', '--queue-url', queueUrl, '--verbose']);

    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toMatch(ONE_LINE);
    expect(quiet.stderr).toMatch(/^fanout dlq inspect: QueueDoesNotExist: /);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr.startsWith(quiet.stderr)).toBe(true);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  test('an envelope the runtime refuses (a type that is not noun.verb)', async () => {
    const run = await fanout(['publish', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:cli-arguments-topic', '--type', 'OrderCreated', '--data', '{}']);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(ONE_LINE);
    expect(run.stderr).toMatch(/^fanout publish: createEnvelope: type must be lowercase noun\.verb/);
  });
});
