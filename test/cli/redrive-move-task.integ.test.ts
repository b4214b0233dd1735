/*
 * redrive() through an SQS message move task. No emulator implements StartMessageMoveTask or
 * ListMessageMoveTasks, so these tests answer exactly those two operations with recorded
 * responses (the JSON bodies below, in the shape of the SQS API reference's examples for both
 * operations) from a middleware on a real SQSClient that records each request the SDK
 * serialized; every other call (GetQueueAttributes for ARNs and depth) goes to fauxqs. The
 * fallback, when an endpoint answers StartMessageMoveTask with an error, runs against fauxqs
 * itself.
 *
 * The task always names its destination: most messages in a consumer's DLQ were sent there
 * directly (poison from the runtime, SNS delivery failures), so SQS knows no source queue to
 * return them to, and StartMessageMoveTask without DestinationArn does not support the DLQs of
 * SNS subscriptions.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { MoveTaskEndedError, redrive, type RedriveProgress } from '@cdk-fanout/runtime/redrive';
import { drainQueue } from '@cdk-fanout/testing';
import { sqsClient } from '@cdk-fanout/testing';
import { answerOperations } from '@cdk-fanout/testing';
import { createSourceAndDlq, depth, envelopeBody, envelopeId, send } from '@cdk-fanout/testing';

const TASK_HANDLE = 'eyJ0YXNrSWQiOiJkYzE2OWUwNC0wZTU1LTQ0ZDItYWE5MC1jMDgwY2ExZjM2ZjciLCJzb3VyY2VBcm4iOiJhcm46YXdzOnNxczp1cy1lYXN0LTE6MDAwMDAwMDAwMDAwOmRscSJ9';

/** Recorded ListMessageMoveTasks bodies: our task running, then finished (SQS drops the handle of a finished task). */
function listResponses(sourceArn: string, finalStatus: 'COMPLETED' | 'FAILED' | 'CANCELLED') {
  const previous = { Status: 'COMPLETED', SourceArn: sourceArn, ApproximateNumberOfMessagesMoved: 29, ApproximateNumberOfMessagesToMove: 29, StartedTimestamp: 1_342_428_272_093 };
  const started = 1_442_428_276_921;
  return [
    { Results: [{ TaskHandle: TASK_HANDLE, Status: 'RUNNING', SourceArn: sourceArn, MaxNumberOfMessagesPerSecond: 50, ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3, StartedTimestamp: started }, previous] },
    {
      Results: [
        {
          COMPLETED: { Status: 'COMPLETED', SourceArn: sourceArn, MaxNumberOfMessagesPerSecond: 50, ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3, StartedTimestamp: started },
          FAILED: { Status: 'FAILED', SourceArn: sourceArn, ApproximateNumberOfMessagesMoved: 2, ApproximateNumberOfMessagesToMove: 3, FailureReason: 'AWS.SimpleQueueService.NonExistentQueue', StartedTimestamp: started },
          CANCELLED: { Status: 'CANCELLED', SourceArn: sourceArn, ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3, StartedTimestamp: started },
        }[finalStatus],
        previous,
      ],
    },
  ];
}

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(() => sqs.destroy());

async function dlqWithThreeMessages(prefix: string) {
  const queues = await createSourceAndDlq(sqs, prefix);
  for (const id of ['t-1', 't-2', 't-3']) await send(sqs, queues.dlq.url, envelopeBody(id));
  return queues;
}

describe('redrive with a message move task (recorded SQS responses)', () => {
  test('starts the task on the DLQ with its source queue as the destination and the rate, waits until it completes, and reports progress', async () => {
    const { source, dlq } = await dlqWithThreeMessages('cli-move-task');
    const client = sqsClient();
    const answered = answerOperations(client, {
      ListDeadLetterSourceQueues: [{ queueUrls: [source.url] }],
      StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }],
      ListMessageMoveTasks: listResponses(dlq.arn, 'COMPLETED'),
    });
    const progress: RedriveProgress[] = [];

    const result = await redrive({ queueUrl: dlq.url, maxMessagesPerSecond: 50, pollIntervalMs: 0, client, onProgress: (p) => progress.push(p) });
    client.destroy();

    expect(answered).toEqual([
      { operation: 'ListDeadLetterSourceQueues', body: { QueueUrl: dlq.url, MaxResults: 1000 } },
      // Always a DestinationArn: a message sent to the DLQ directly has no queue it came from.
      { operation: 'StartMessageMoveTask', body: { SourceArn: dlq.arn, DestinationArn: source.arn, MaxNumberOfMessagesPerSecond: 50 } },
      { operation: 'ListMessageMoveTasks', body: { SourceArn: dlq.arn, MaxResults: 10 } },
      { operation: 'ListMessageMoveTasks', body: { SourceArn: dlq.arn, MaxResults: 10 } },
    ]);
    expect(result).toEqual({ method: 'message-move-task', dryRun: false, approximateMessages: 3, moved: 3, destinationQueueUrl: source.url, taskHandle: TASK_HANDLE, taskStatus: 'COMPLETED' });
    expect(progress).toEqual([{ moved: 1, total: 3 }, { moved: 3, total: 3 }]);
  });

  test('--to becomes the DestinationArn; without waiting it returns the running task', async () => {
    const { dlq } = await dlqWithThreeMessages('cli-move-task-to');
    const { source: elsewhere } = await createSourceAndDlq(sqs, 'cli-move-task-elsewhere');
    const client = sqsClient();
    const answered = answerOperations(client, { StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }], ListMessageMoveTasks: listResponses(dlq.arn, 'COMPLETED') });

    const result = await redrive({ queueUrl: dlq.url, destinationQueueUrl: elsewhere.url, waitForMoveTask: false, client });
    client.destroy();

    expect(answered).toEqual([{ operation: 'StartMessageMoveTask', body: { SourceArn: dlq.arn, DestinationArn: elsewhere.arn } }]);
    expect(result).toMatchObject({ method: 'message-move-task', taskStatus: 'RUNNING', taskHandle: TASK_HANDLE, destinationQueueUrl: elsewhere.url });
  });

  test.each([
    ['FAILED', 2, 1, 'message move task FAILED (AWS.SimpleQueueService.NonExistentQueue) after moving ~2 message(s); ~1 remain in'],
    ['CANCELLED', 1, 2, 'message move task CANCELLED after moving ~1 message(s); ~2 remain in'],
  ] as const)('a task that ends %s is an error that says how many messages remain', async (status, moved, remaining, message) => {
    const { source, dlq } = await dlqWithThreeMessages(`cli-move-task-${status.toLowerCase()}`);
    const client = sqsClient();
    answerOperations(client, { StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }], ListMessageMoveTasks: listResponses(dlq.arn, status) });

    const error = await redrive({ queueUrl: dlq.url, destinationQueueUrl: source.url, pollIntervalMs: 0, client }).catch((caught: unknown) => caught);
    client.destroy();

    expect(error).toBeInstanceOf(MoveTaskEndedError);
    expect(error).toMatchObject({ taskStatus: status, moved, remaining, queueUrl: dlq.url, destinationQueueUrl: source.url, taskHandle: TASK_HANDLE });
    expect((error as Error).message).toBe(`${message} ${dlq.url}. Nothing was lost: redrive again, or with method 'receive-send-delete' to move them message by message`);
  });

  test('method receive-send-delete skips the message move task', async () => {
    const { source, dlq } = await dlqWithThreeMessages('cli-move-task-forced');
    const client = sqsClient();
    const answered = answerOperations(client, { StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }], ListMessageMoveTasks: listResponses(dlq.arn, 'COMPLETED') });

    const result = await redrive({ queueUrl: dlq.url, method: 'receive-send-delete', client });
    client.destroy();

    expect(answered).toEqual([]);
    expect(result).toMatchObject({ method: 'receive-send-delete', reason: 'moving message by message was asked for', moved: 3, destinationQueueUrl: source.url });
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  test.each([
    ['with a message move task', {}],
    ['message by message', { maxMessages: 5 }],
  ])('refuses to redrive a dead-letter queue into itself (%s), before moving anything', async (_, limit) => {
    const { dlq } = await dlqWithThreeMessages('cli-move-task-itself');
    const client = sqsClient();
    const answered = answerOperations(client, { StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }], ListMessageMoveTasks: listResponses(dlq.arn, 'COMPLETED') });

    await expect(redrive({ queueUrl: dlq.url, destinationQueueUrl: dlq.url, pollIntervalMs: 0, client, ...limit }))
      .rejects.toThrow(`refusing to redrive ${dlq.url} into itself: give the queue its messages belong in as the destination`);
    client.destroy();

    expect(answered).toEqual([]);
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 3, inFlight: 0 });
    expect((await drainQueue(sqs, dlq.url)).map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['1', '1', '1']);
  });

  test('a dry run starts no task', async () => {
    const { source, dlq } = await dlqWithThreeMessages('cli-move-task-dry');
    const client = sqsClient();
    const answered = answerOperations(client, { StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }], ListMessageMoveTasks: listResponses(dlq.arn, 'COMPLETED') });

    const result = await redrive({ queueUrl: dlq.url, dryRun: true, client });
    client.destroy();

    expect(answered).toEqual([]);
    expect(result).toEqual({ method: 'message-move-task', dryRun: true, approximateMessages: 3, moved: 0, destinationQueueUrl: source.url });
  });
});

describe('an endpoint without message move tasks (fauxqs itself)', () => {
  test('falls back to receive → send → delete, says why, and finds the source queue itself', async () => {
    const { source, dlq } = await dlqWithThreeMessages('cli-move-task-fallback');

    const result = await redrive({ queueUrl: dlq.url, client: sqs });

    expect(result).toMatchObject({ method: 'receive-send-delete', moved: 3, destinationQueueUrl: source.url });
    expect(result.reason).toMatch(/does not support StartMessageMoveTask \(InvalidAction\)/);
    expect((await drainQueue(sqs, source.url)).map((message) => envelopeId(message.Body)).sort()).toEqual(['t-1', 't-2', 't-3']);
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0 });
  });
});
