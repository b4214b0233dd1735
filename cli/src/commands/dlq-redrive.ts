import { MAX_MESSAGES_PER_SECOND, MoveTaskEndedError, redrive, type RedriveResult } from '@cdk-fanout/runtime/redrive';
import { ROLE_FAILURE_RECORDS } from '@cdk-fanout/runtime/names';
import { optionalInteger, optionalString, type Command, type CommandContext } from './command';
import { DLQ_LOCATION_OPTIONS, locateDeadLetterQueue, type DeadLetterQueueLocation } from './dlq-location';
import { progressBar } from './progress-bar';

export const dlqRedrive: Command = {
  name: 'dlq redrive',
  summary: 'Move the messages of a dead-letter queue back to their consumer\'s queue (or another).',
  description: 'Standard queues use an SQS message move task; FIFO queues, --max, --message-by-message and endpoints without message '
    + 'move tasks receive, send, then delete each message in order. Stopped part-way, run it again: nothing is lost.',
  options: {
    ...DLQ_LOCATION_OPTIONS,
    to: { type: 'string', value: 'URL', description: 'URL of the destination queue (default: the consumer\'s queue, the one whose redrive policy names the dead-letter queue)' },
    max: { type: 'string', value: 'N', description: 'move at most N messages (default: all; moves message by message)' },
    rate: { type: 'string', value: 'N', description: `at most N messages per second, 1 to ${MAX_MESSAGES_PER_SECOND} (default: no limit)` },
    'message-by-message': { type: 'boolean', description: 'receive, send and delete each message instead of an SQS message move task' },
    'dry-run': { type: 'boolean', description: 'say what would be moved where, and change nothing' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  examples: [
    'fanout dlq redrive --stack OrdersFanOut --consumer billing --dry-run',
    'fanout dlq redrive --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/orders-billing-dlq --rate 50',
  ],
  async run(context) {
    const maxMessages = optionalInteger(context.values, 'max', 1);
    const maxMessagesPerSecond = optionalInteger(context.values, 'rate', 1, MAX_MESSAGES_PER_SECOND);
    const to = optionalString(context.values, 'to');
    // By stack and consumer the template names the consumer's queue; by URL, redrive asks SQS which queue names the DLQ.
    const location = await locateDeadLetterQueue(context, { withQueue: to === undefined });
    refuseWithoutQueue(context, location, to);
    const { deadLetterQueueUrl: queueUrl, queueUrl: consumerQueueUrl } = location;
    const bar = progressBar(context.io);
    let result: RedriveResult;
    try {
      result = await redrive({
        queueUrl,
        destinationQueueUrl: to ?? consumerQueueUrl,
        maxMessages,
        maxMessagesPerSecond,
        ...(context.values['message-by-message'] === true ? { method: 'receive-send-delete' as const } : {}),
        dryRun: context.values['dry-run'] === true,
        client: context.clients.sqs(),
        onProgress: ({ moved, total }) => bar.update(moved, total),
      });
    } catch (error) {
      if (!(error instanceof MoveTaskEndedError)) throw error;
      throw new Error(`${error.summary}. Nothing was lost: run it again, or add --message-by-message to move them by receive, send and delete`, { cause: error });
    } finally {
      bar.finish();
    }
    context.io.stdout.write(context.values.json ? `${JSON.stringify(result, null, 2)}\n` : `${describeRedrive(queueUrl, result)}\n`);
  },
};

/**
 * A consumer found by its tags that has no queue of its own has nowhere to redrive to: a stream or
 * Kafka consumer's DLQ holds Lambda's on-failure records (batch metadata, not messages: moving
 * them anywhere is no use, `--to` or not); a RabbitMQ consumer's holds poison its runtime sent,
 * which may go to a queue named with `--to`.
 */
function refuseWithoutQueue(context: CommandContext, location: DeadLetterQueueLocation, to: string | undefined): void {
  const consumer = String(context.values.consumer);
  if (location.deadLetterRole === ROLE_FAILURE_RECORDS) {
    throw new Error(`refusing to redrive ${location.deadLetterQueueUrl}: it holds Lambda's on-failure records of consumer "${consumer}" (where its failed batches are in the stream or topic), `
      + 'not the messages, and the consumer has no queue; fix the cause, re-read the stream or topic from the recorded position (fanout dlq inspect shows it), then fanout dlq purge');
  }
  if (location.deadLetterRole !== undefined && location.queueUrl === undefined && to === undefined) {
    throw new Error(`refusing to redrive ${location.deadLetterQueueUrl}: consumer "${consumer}" has no SQS queue to return its messages to (it reads a RabbitMQ queue; `
      + 'these are the poison messages its runtime sent); fix the cause, then republish them with --to URL to a queue of your choice, or through the broker');
  }
}

/** The outcome in a sentence or two: what moved (or would), where, how, and why that way. */
export function describeRedrive(queueUrl: string, result: RedriveResult): string {
  const destination = result.destinationQueueUrl;
  const how = result.method === 'message-move-task'
    ? 'with an SQS message move task'
    : `by receive, send and delete${result.reason ? ` (${result.reason})` : ''}`;
  if (result.dryRun) {
    return `Dry run: would move ~${result.approximateMessages} message(s) from ${queueUrl} to ${destination} ${how}. Nothing was changed.`;
  }
  const task = result.taskHandle ? ` Task ${result.taskStatus}: ${result.taskHandle}.` : '';
  return `Moved ${result.method === 'message-move-task' ? '~' : ''}${result.moved} message(s) from ${queueUrl} to ${destination} ${how}.${task}`;
}
