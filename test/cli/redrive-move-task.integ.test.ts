/*
 * redrive() through an SQS message move task. No emulator implements StartMessageMoveTask or
 * ListMessageMoveTasks, so these tests answer exactly those two operations with recorded
 * responses (the JSON bodies below, in the shape of the SQS API reference's examples for both
 * operations) from a middleware on a real SQSClient that records each request the SDK
 * serialized; every other call (GetQueueAttributes for ARNs and depth) goes to fauxqs. The
 * fallback, when an endpoint answers StartMessageMoveTask with an error, runs against fauxqs
 * itself.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { redrive, type RedriveProgress } from '@cdk-fanout/runtime';
import { drainQueue } from '@cdk-fanout/testing';
import { sqsClient } from '@cdk-fanout/testing';
import { answerOperations } from '@cdk-fanout/testing';
import { createSourceAndDlq, depth, envelopeBody, envelopeId, send } from '@cdk-fanout/testing';

const TASK_HANDLE = 'eyJ0YXNrSWQiOiJkYzE2OWUwNC0wZTU1LTQ0ZDItYWE5MC1jMDgwY2ExZjM2ZjciLCJzb3VyY2VBcm4iOiJhcm46YXdzOnNxczp1cy1lYXN0LTE6MDAwMDAwMDAwMDAwOmRscSJ9';

/** Recorded ListMessageMoveTasks bodies: our task running, then finished (SQS drops the handle of a finished task). */
function listResponses(sourceArn: string, finalStatus: 'COMPLETED' | 'FAILED') {
  const previous = { Status: 'COMPLETED', SourceArn: sourceArn, ApproximateNumberOfMessagesMoved: 29, ApproximateNumberOfMessagesToMove: 29, StartedTimestamp: 1_342_428_272_093 };
  const started = 1_442_428_276_921;
  return [
    { Results: [{ TaskHandle: TASK_HANDLE, Status: 'RUNNING', SourceArn: sourceArn, MaxNumberOfMessagesPerSecond: 50, ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3, StartedTimestamp: started }, previous] },
    {
      Results: [
        finalStatus === 'COMPLETED'
          ? { Status: 'COMPLETED', SourceArn: sourceArn, MaxNumberOfMessagesPerSecond: 50, ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3, StartedTimestamp: started }
          : { Status: 'FAILED', SourceArn: sourceArn, ApproximateNumberOfMessagesMoved: 2, ApproximateNumberOfMessagesToMove: 3, FailureReason: 'AWS.SimpleQueueService.NonExistentQueue', StartedTimestamp: started },
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
  test('starts the task on the DLQ with the rate, waits until it completes, and reports progress', async () => {
    const { dlq } = await dlqWithThreeMessages('cli-move-task');
    const client = sqsClient();
    const answered = answerOperations(client, {
      StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }],
      ListMessageMoveTasks: listResponses(dlq.arn, 'COMPLETED'),
    });
    const progress: RedriveProgress[] = [];

    const result = await redrive({ queueUrl: dlq.url, maxMessagesPerSecond: 50, pollIntervalMs: 0, client, onProgress: (p) => progress.push(p) });
    client.destroy();

    expect(answered).toEqual([
      // No DestinationArn: SQS returns each message to the queue it came from.
      { operation: 'StartMessageMoveTask', body: { SourceArn: dlq.arn, MaxNumberOfMessagesPerSecond: 50 } },
      { operation: 'ListMessageMoveTasks', body: { SourceArn: dlq.arn, MaxResults: 10 } },
      { operation: 'ListMessageMoveTasks', body: { SourceArn: dlq.arn, MaxResults: 10 } },
    ]);
    expect(result).toEqual({ method: 'message-move-task', dryRun: false, approximateMessages: 3, moved: 3, taskHandle: TASK_HANDLE, taskStatus: 'COMPLETED' });
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

  test('a failed task is an error with its reason', async () => {
    const { dlq } = await dlqWithThreeMessages('cli-move-task-failed');
    const client = sqsClient();
    answerOperations(client, { StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }], ListMessageMoveTasks: listResponses(dlq.arn, 'FAILED') });

    await expect(redrive({ queueUrl: dlq.url, pollIntervalMs: 0, client })).rejects.toThrow(/message move task failed after moving ~2 message\(s\): AWS.SimpleQueueService.NonExistentQueue/);
    client.destroy();
  });

  test('a dry run starts no task', async () => {
    const { dlq } = await dlqWithThreeMessages('cli-move-task-dry');
    const client = sqsClient();
    const answered = answerOperations(client, { StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }], ListMessageMoveTasks: listResponses(dlq.arn, 'COMPLETED') });

    const result = await redrive({ queueUrl: dlq.url, dryRun: true, client });
    client.destroy();

    expect(answered).toEqual([]);
    expect(result).toEqual({ method: 'message-move-task', dryRun: true, approximateMessages: 3, moved: 0 });
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
