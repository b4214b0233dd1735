/* `fanout dlq purge` against fauxqs: it deletes only with a confirmation, and never by default in a script. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from '@cdk-fanout/testing';
import { createSourceAndDlq, depth, envelopeBody, send } from '@cdk-fanout/testing';
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
});
