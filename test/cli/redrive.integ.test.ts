/*
 * redrive() moving message by message against fauxqs: FIFO order across interleaved groups, a
 * crash between send and delete, dry runs, limits, and finding the source queue.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { redrive } from '@cdk-fanout/runtime';
import { drainQueue } from '@cdk-fanout/testing';
import { sqsClient } from '@cdk-fanout/testing';
import { failNthCall } from '@cdk-fanout/testing';
import { createSourceAndDlq, depth, envelopeBody, envelopeId, send } from '@cdk-fanout/testing';

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(() => sqs.destroy());

const GROUPS = ['g1', 'g2', 'g3'];
const PER_GROUP = 8;

/** 24 messages sent round-robin over three groups (g1-0, g2-0, g3-0, g1-1, …): more than two receives' worth. */
async function fillInterleaved(queueUrl: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < PER_GROUP; n++) {
    for (const group of GROUPS) {
      const id = `${group}-${n}`;
      ids.push(id);
      await send(sqs, queueUrl, envelopeBody(id), { groupId: group });
    }
  }
  return ids;
}

/** The ids of one group in the order they arrived, from received messages. */
function groupOrder(messages: { Body?: string; Attributes?: Record<string, string> }[], group: string): string[] {
  return messages.filter((message) => message.Attributes?.MessageGroupId === group).map((message) => envelopeId(message.Body));
}

const expectedOrder = (group: string) => Array.from({ length: PER_GROUP }, (_, n) => `${group}-${n}`);

describe('redrive, receive → send → delete', () => {
  test('a FIFO dead-letter queue goes back to its source queue with every group in order', async () => {
    const { source, dlq } = await createSourceAndDlq(sqs, 'cli-redrive-fifo', true);
    const ids = await fillInterleaved(dlq.url);
    const progress: number[] = [];

    const result = await redrive({ queueUrl: dlq.url, client: sqs, onProgress: ({ moved }) => progress.push(moved) });

    expect(result).toMatchObject({ method: 'receive-send-delete', moved: ids.length, destinationQueueUrl: source.url, dryRun: false });
    expect(result.reason).toMatch(/FIFO/);
    expect(progress).toEqual(ids.map((_, index) => index + 1));
    const arrived = await drainQueue(sqs, source.url);
    expect(arrived).toHaveLength(ids.length);
    for (const group of GROUPS) expect(groupOrder(arrived, group)).toEqual(expectedOrder(group));
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('keeps body and message attributes (fanout.reason included), as a message move task would', async () => {
    const { source, dlq } = await createSourceAndDlq(sqs, 'cli-redrive-attrs');
    const body = envelopeBody('attrs-1');
    await send(sqs, dlq.url, body, { attributes: { 'fanout.reason': 'schema', 'fanout.error': 'data.amount: expected number', type: 'order.created' } });

    await redrive({ queueUrl: dlq.url, destinationQueueUrl: source.url, maxMessages: 1, client: sqs });

    const [message] = await drainQueue(sqs, source.url);
    expect(message.Body).toBe(body);
    expect(message.MessageAttributes?.['fanout.reason']?.StringValue).toBe('schema');
    expect(message.MessageAttributes?.['fanout.error']?.StringValue).toBe('data.amount: expected number');
    expect(message.MessageAttributes?.type?.StringValue).toBe('order.created');
  });

  test('a failure between send and delete loses nothing, and a re-run finishes the job', async () => {
    const { source, dlq } = await createSourceAndDlq(sqs, 'cli-redrive-crash', true);
    const ids = await fillInterleaved(dlq.url);
    const faulty = sqsClient();
    failNthCall(faulty, 'DeleteMessageCommand', 5);

    await expect(redrive({ queueUrl: dlq.url, client: faulty })).rejects.toThrow(
      /stopped after moving 4 message\(s\): message .* was sent to .* but not deleted .*injected failure.*run the redrive again/,
    );
    faulty.destroy();
    // The fifth message is in both queues; the rest of its batch was made visible again at once.
    expect((await depth(sqs, source.url)).visible).toBe(5);
    expect(await depth(sqs, dlq.url)).toEqual({ visible: ids.length - 4, inFlight: 0 });

    const rerun = await redrive({ queueUrl: dlq.url, client: sqs });

    expect(rerun.moved).toBe(ids.length - 4);
    const arrived = await drainQueue(sqs, source.url);
    const arrivedIds = arrived.map((message) => envelopeId(message.Body));
    expect(new Set(arrivedIds)).toEqual(new Set(ids));
    expect(arrivedIds).toHaveLength(ids.length + 1);
    // Order holds too: apart from the one message delivered twice in a row, each group is in sequence.
    for (const group of GROUPS) {
      expect(groupOrder(arrived, group).filter((id, index, all) => id !== all[index - 1])).toEqual(expectedOrder(group));
    }
    expect((await depth(sqs, dlq.url)).visible).toBe(0);
  });

  test('a failed send deletes nothing of it and releases the rest of the batch', async () => {
    const { source, dlq } = await createSourceAndDlq(sqs, 'cli-redrive-sendfail');
    for (const id of ['s-1', 's-2', 's-3']) await send(sqs, dlq.url, envelopeBody(id));
    const faulty = sqsClient();
    failNthCall(faulty, 'SendMessageCommand', 2);

    await expect(redrive({ queueUrl: dlq.url, destinationQueueUrl: source.url, maxMessages: 3, client: faulty }))
      .rejects.toThrow(/stopped after moving 1 message\(s\): could not send message .*Nothing was lost/);
    faulty.destroy();

    expect(await depth(sqs, dlq.url)).toEqual({ visible: 2, inFlight: 0 });
    expect((await depth(sqs, source.url)).visible).toBe(1);
  });

  test('--dry-run: reports method, destination and count, and changes nothing', async () => {
    const { source, dlq } = await createSourceAndDlq(sqs, 'cli-redrive-dry', true);
    await fillInterleaved(dlq.url);

    const result = await redrive({ queueUrl: dlq.url, dryRun: true, client: sqs });

    expect(result).toMatchObject({ dryRun: true, moved: 0, approximateMessages: GROUPS.length * PER_GROUP, destinationQueueUrl: source.url, method: 'receive-send-delete' });
    expect(await depth(sqs, dlq.url)).toEqual({ visible: GROUPS.length * PER_GROUP, inFlight: 0 });
    expect(await depth(sqs, source.url)).toEqual({ visible: 0, inFlight: 0 });
    // Nothing was received either: every message still has its receive count of 0 → 1 on this read.
    const messages = await drainQueue(sqs, dlq.url);
    expect(messages.map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(messages.map(() => '1'));
  });

  test('maxMessages moves only that many, the first ones of the queue', async () => {
    const { source, dlq } = await createSourceAndDlq(sqs, 'cli-redrive-max', true);
    for (const id of ['m-0', 'm-1', 'm-2', 'm-3']) await send(sqs, dlq.url, envelopeBody(id), { groupId: 'g' });

    const result = await redrive({ queueUrl: dlq.url, maxMessages: 3, maxMessagesPerSecond: 500, client: sqs });

    expect(result.moved).toBe(3);
    expect((await drainQueue(sqs, source.url)).map((message) => envelopeId(message.Body))).toEqual(['m-0', 'm-1', 'm-2']);
    expect((await drainQueue(sqs, dlq.url)).map((message) => envelopeId(message.Body))).toEqual(['m-3']);
  });

  test('without a destination and with no queue naming the DLQ, it refuses before touching a message', async () => {
    const { source: plain } = await createSourceAndDlq(sqs, 'cli-redrive-orphan');
    await send(sqs, plain.url, envelopeBody('p-1'));

    await expect(redrive({ queueUrl: plain.url, maxMessages: 1, client: sqs })).rejects.toThrow(/no queue names .* as its dead-letter queue; give the destination queue explicitly/);
    expect(await depth(sqs, plain.url)).toEqual({ visible: 1, inFlight: 0 });
  });

  test('refuses a destination of the other queue type', async () => {
    const { dlq } = await createSourceAndDlq(sqs, 'cli-redrive-types', true);
    const { source: standard } = await createSourceAndDlq(sqs, 'cli-redrive-types-std');
    await expect(redrive({ queueUrl: dlq.url, destinationQueueUrl: standard.url, client: sqs })).rejects.toThrow(/is a FIFO queue but .* is a standard queue/);
  });

  test('checks its options before calling SQS', async () => {
    await expect(redrive({ queueUrl: 'unused', maxMessages: 0, client: sqs })).rejects.toThrow(/maxMessages must be a positive integer/);
    await expect(redrive({ queueUrl: 'unused', maxMessagesPerSecond: 501, client: sqs })).rejects.toThrow(/maxMessagesPerSecond must be an integer from 1 to 500/);
  });
});
