/*
 * `fanout dlq redrive` against fauxqs: the command line over redrive() (its behaviour is proven
 * in redrive.test.ts): what it prints, --dry-run, --to/--max/--rate, the progress bar only on a
 * terminal.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue } from '@cdk-fanout/testing';
import { sqsClient } from '@cdk-fanout/testing';
import { createSourceAndDlq, depth, envelopeBody, envelopeId, send } from '@cdk-fanout/testing';
import { fanout } from './support/run';

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(() => sqs.destroy());

async function dlqWith(prefix: string, ids: readonly string[]) {
  const queues = await createSourceAndDlq(sqs, prefix);
  for (const id of ids) await send(sqs, queues.dlq.url, envelopeBody(id));
  return queues;
}

describe('fanout dlq redrive', () => {
  test('on an endpoint without message move tasks: says it falls back, moves everything to the source queue', async () => {
    const { source, dlq } = await dlqWith('cli-redrive-cmd', ['r-1', 'r-2']);

    const run = await fanout(['dlq', 'redrive', '--queue-url', dlq.url]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`Moved 2 message(s) from ${dlq.url} to ${source.url} by receive, send and delete (this endpoint does not support StartMessageMoveTask (InvalidAction)).\n`);
    expect((await drainQueue(sqs, source.url)).map((message) => envelopeId(message.Body)).sort()).toEqual(['r-1', 'r-2']);
  });

  test('--dry-run prints the plan and changes nothing', async () => {
    const { source, dlq } = await dlqWith('cli-redrive-cmd-dry', ['d-1', 'd-2', 'd-3']);

    const run = await fanout(['dlq', 'redrive', '--queue-url', dlq.url, '--dry-run', '--max', '2']);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`Dry run: would move ~3 message(s) from ${dlq.url} to ${source.url} by receive, send and delete (a message move task cannot be limited to a number of messages). Nothing was changed.\n`);
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 3, inFlight: 0 });
    expect(await depth(sqs, source.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('--to, --max and --rate; --json prints the result', async () => {
    const { dlq } = await dlqWith('cli-redrive-cmd-to', ['t-1', 't-2', 't-3']);
    const { source: other } = await createSourceAndDlq(sqs, 'cli-redrive-cmd-other');

    const run = await fanout(['dlq', 'redrive', '--queue-url', dlq.url, '--to', other.url, '--max', '2', '--rate', '100', '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ method: 'receive-send-delete', moved: 2, destinationQueueUrl: other.url, dryRun: false });
    expect(await depth(sqs, other.url)).toEqual({ visible: 2, inFlight: 0 });
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 1, inFlight: 0 });
  });

  test('draws a progress bar on stderr only when it is a terminal, and clears it', async () => {
    const piped = await fanout(['dlq', 'redrive', '--queue-url', (await dlqWith('cli-redrive-cmd-pipe', ['p-1', 'p-2'])).dlq.url]);
    const terminal = await fanout(['dlq', 'redrive', '--queue-url', (await dlqWith('cli-redrive-cmd-tty', ['p-1', 'p-2'])).dlq.url], { stderrIsTTY: true });

    expect(piped.stderr).toBe('');
    expect(terminal.stderr).toContain('\r[###############---------------] 1/2');
    expect(terminal.stderr).toContain('\r[##############################] 2/2');
    expect(terminal.stderr.endsWith(`\r${' '.repeat('[##############################] 2/2'.length)}\r`)).toBe(true);
  });
});
