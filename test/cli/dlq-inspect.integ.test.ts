/*
 * `fanout dlq inspect` against fauxqs: one row per message whatever its body, the reasons the
 * consumer gave, JSON for scripts, and a dead-letter queue left exactly as it was.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue } from '@cdk-fanout/testing';
import { sqsClient } from '@cdk-fanout/testing';
import { createQueue, createSourceAndDlq, depth, envelopeBody, envelopeId, send } from '@cdk-fanout/testing';
import { fanout } from './support/run';

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(() => sqs.destroy());

/** A DLQ with a poison envelope (raw), an SNS-wrapped envelope moved by maxReceiveCount, and a body that is not JSON. */
async function mixedDlq(prefix: string, fifo = false): Promise<string> {
  const { dlq } = await createSourceAndDlq(sqs, prefix, fifo);
  const group = (name: string) => (fifo ? { groupId: name } : {});
  await send(sqs, dlq.url, envelopeBody('poison-1', 'order.created', { amount: 'twelve' }), {
    ...group('a'),
    attributes: { 'fanout.reason': 'schema', 'fanout.error': 'data.amount: expected number, received string' },
  });
  const notification = { Type: 'Notification', MessageId: 'sns-1', TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders', Message: envelopeBody('wrapped-1', 'order.cancelled') };
  await send(sqs, dlq.url, JSON.stringify(notification), group('b'));
  await send(sqs, dlq.url, 'not json at all', { ...group('c'), attributes: { 'fanout.reason': 'malformed-json' } });
  return dlq.url;
}

/** A body's envelope id (inside an SNS notification too), or the body itself when it is not JSON. */
function label(body: string): string {
  try {
    const parsed = JSON.parse(body);
    return envelopeId(parsed.Type === 'Notification' ? parsed.Message : body);
  } catch {
    return body;
  }
}

describe('fanout dlq inspect', () => {
  test('one row per message: envelope fields (SNS-wrapped too), the reason, and a row for a body that is not an envelope', async () => {
    const queueUrl = await mixedDlq('cli-inspect-table');

    const run = await fanout(['dlq', 'inspect', '--queue-url', queueUrl]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TYPE\s+SOURCE\s+REASON\s+ERROR\s+RECEIVES\s+AGE$/);
    const row = (text: string) => lines.find((line) => line.includes(text));
    expect(row('poison-1')).toMatch(/poison-1\s+order\.created\s+order-service\s+schema\s+data\.amount: expected number, received string\s+0\s+\d+s/);
    expect(row('wrapped-1')).toMatch(/wrapped-1\s+order\.cancelled\s+order-service\s+-\s+-\s+0/);
    expect(row('malformed-json')).toMatch(/^-\s+-\s+-\s+malformed-json\s+not an envelope: body is not JSON/);
    expect(lines.at(-1)).toBe(`3 of ~3 message(s) in ${queueUrl}`);
  });

  test('--json: every field and the body, for scripts', async () => {
    const queueUrl = await mixedDlq('cli-inspect-json');

    const run = await fanout(['dlq', 'inspect', '--queue-url', queueUrl, '--json']);

    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout);
    expect(output).toMatchObject({ queueUrl, approximateMessages: 3 });
    const byId = (id: string) => output.messages.find((message: { id?: string }) => message.id === id);
    expect(byId('poison-1')).toMatchObject({ type: 'order.created', source: 'order-service', reason: 'schema', error: 'data.amount: expected number, received string', receiveCount: 0 });
    expect(byId('poison-1').problem).toBeUndefined();
    expect(Date.parse(byId('poison-1').sentAt)).not.toBeNaN();
    expect(byId('wrapped-1')).toMatchObject({ type: 'order.cancelled' });
    expect(byId('wrapped-1').reason).toBeUndefined();
    expect(JSON.parse(byId('wrapped-1').body).Type).toBe('Notification');
    const notJson = output.messages.find((message: { body: string }) => message.body === 'not json at all');
    expect(notJson).toMatchObject({ reason: 'malformed-json', problem: expect.stringMatching(/^body is not JSON/) });
  });

  test.each([false, true])('leaves the dead-letter queue unchanged (fifo: %s): same count, all visible, same bodies in the same order', async (fifo) => {
    const queueUrl = await mixedDlq(`cli-inspect-unchanged${fifo ? '-fifo' : ''}`, fifo);
    const before = await depth(sqs, queueUrl);

    const run = await fanout(['dlq', 'inspect', '--queue-url', queueUrl]);

    expect(run.code).toBe(0);
    expect(before).toEqual({ visible: 3, inFlight: 0 });
    expect(await depth(sqs, queueUrl)).toEqual(before);
    expect((await drainQueue(sqs, queueUrl)).map((message) => label(message.Body!))).toEqual(['poison-1', 'wrapped-1', 'not json at all']);
  });

  test('--max limits the listing and says so; an empty queue says it is empty', async () => {
    const { dlq } = await createSourceAndDlq(sqs, 'cli-inspect-max');
    const empty = await fanout(['dlq', 'inspect', '--queue-url', dlq.url]);
    expect(empty.stdout).toBe(`${dlq.url} is empty.\n`);
    for (const id of ['x-1', 'x-2', 'x-3']) await send(sqs, dlq.url, envelopeBody(id));

    const run = await fanout(['dlq', 'inspect', '--queue-url', dlq.url, '--max', '2']);

    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1 + 2 + 1);
    expect(run.stdout).toContain(`2 of ~3 message(s) in ${dlq.url} (the first 2; --max for more)`);
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 3, inFlight: 0 });
  });

  test('a queue that is not a dead-letter queue (a live consumer queue) is refused in one line and not read, unless --force', async () => {
    const { source: live } = await createSourceAndDlq(sqs, 'cli-inspect-live');
    const plain = await createQueue(sqs, 'cli-inspect-plain');
    for (const queue of [live.url, plain.url]) await send(sqs, queue, envelopeBody('live-1'));

    const refused = await fanout(['dlq', 'inspect', '--queue-url', live.url]);
    const forced = await fanout(['dlq', 'inspect', '--queue-url', plain.url, '--force']);

    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `fanout dlq inspect: ${live.url} is not a dead-letter queue (no queue's redrive policy names it): each inspection raises its messages' receive counts until SQS dead-letters them; pass --force to run on it anyway\n`,
    });
    // Not received at all: this read is its first.
    expect((await drainQueue(sqs, live.url)).map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['1']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`1 of ~1 message(s) in ${plain.url}`);
  });
});
