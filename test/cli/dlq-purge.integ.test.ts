/* `fanout dlq purge` against fauxqs: it deletes only with a confirmation, and never by default in a script. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from '@cdk-fanout/testing';
import { createQueue, createSourceAndDlq, depth, envelopeBody, send } from '@cdk-fanout/testing';
import { fanout } from './support/run';

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(() => sqs.destroy());

async function dlqWithTwo(prefix: string): Promise<string> {
  const { dlq } = await createSourceAndDlq(sqs, prefix);
  await send(sqs, dlq.url, envelopeBody('x-1'));
  await send(sqs, dlq.url, envelopeBody('x-2'));
  return dlq.url;
}

describe('fanout dlq purge', () => {
  test('without --yes in a non-interactive shell: refuses in one line, exit 1, purges nothing', async () => {
    const queueUrl = await dlqWithTwo('cli-purge-refuse');

    const run = await fanout(['dlq', 'purge', '--queue-url', queueUrl], { stdin: 'y\n' });

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`fanout dlq purge: refusing to delete ~2 message(s) from ${queueUrl} without confirmation: stdin is not a terminal; pass --yes\n`);
    expect(await depth(sqs, queueUrl)).toEqual({ visible: 2, inFlight: 0 });
  });

  test('--yes empties it', async () => {
    const queueUrl = await dlqWithTwo('cli-purge-yes');

    const run = await fanout(['dlq', 'purge', '--queue-url', queueUrl, '--yes']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Purged ${queueUrl}`);
    expect(await depth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('on a terminal it asks: "y" purges; anything else, or no answer, does not', async () => {
    const kept = await dlqWithTwo('cli-purge-no');
    const closed = await dlqWithTwo('cli-purge-eof');
    const purged = await dlqWithTwo('cli-purge-ask');

    const no = await fanout(['dlq', 'purge', '--queue-url', kept], { stdin: 'n\n', stdinIsTTY: true });
    const eof = await fanout(['dlq', 'purge', '--queue-url', closed], { stdinIsTTY: true });
    const yes = await fanout(['dlq', 'purge', '--queue-url', purged], { stdin: 'y\n', stdinIsTTY: true });

    expect(no.stderr).toBe(`Delete all ~2 message(s) in ${kept}? This cannot be undone. [y/N] Nothing was deleted.\n`);
    expect([no.code, eof.code, yes.code]).toEqual([1, 1, 0]);
    expect(await depth(sqs, kept)).toEqual({ visible: 2, inFlight: 0 });
    expect(await depth(sqs, closed)).toEqual({ visible: 2, inFlight: 0 });
    expect(await depth(sqs, purged)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('a queue that is not a dead-letter queue (a live consumer queue) is refused in one line, even with --yes, unless --force', async () => {
    const { source: live } = await createSourceAndDlq(sqs, 'cli-purge-live');
    const plain = await createQueue(sqs, 'cli-purge-plain');
    for (const queue of [live.url, plain.url]) await send(sqs, queue, envelopeBody('live-1'));

    const refused = await fanout(['dlq', 'purge', '--queue-url', live.url, '--yes']);
    const forced = await fanout(['dlq', 'purge', '--queue-url', plain.url, '--yes', '--force']);

    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `fanout dlq purge: ${live.url} is not a dead-letter queue (no queue's redrive policy names it): purging it deletes messages still waiting to be processed; pass --force to run on it anyway\n`,
    });
    expect(await depth(sqs, live.url)).toEqual({ visible: 1, inFlight: 0 });
    expect(forced.code).toBe(0);
    expect(await depth(sqs, plain.url)).toEqual({ visible: 0, inFlight: 0 });
  });
});
