import { MAX_MESSAGES_PER_SECOND, redrive, type RedriveResult } from '@cdk-fanout/runtime/redrive';
import { optionalInteger, optionalString, type Command } from './command';
import { DLQ_LOCATION_OPTIONS, deadLetterQueueUrl } from './dlq-location';
import { progressBar } from './progress-bar';

export const dlqRedrive: Command = {
  name: 'dlq redrive',
  summary: 'Move the messages of a dead-letter queue back to their source queue (or another).',
  description: 'Standard queues use an SQS message move task; FIFO queues, --max and endpoints without message move tasks '
    + 'receive, send, then delete each message in order. Stopped part-way, run it again: nothing is lost.',
  options: {
    ...DLQ_LOCATION_OPTIONS,
    to: { type: 'string', value: 'URL', description: 'URL of the destination queue (default: the source queue of the dead-letter queue)' },
    max: { type: 'string', value: 'N', description: 'move at most N messages (default: all; moves message by message)' },
    rate: { type: 'string', value: 'N', description: `at most N messages per second, 1 to ${MAX_MESSAGES_PER_SECOND} (default: no limit)` },
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
    const queueUrl = await deadLetterQueueUrl(context);
    const bar = progressBar(context.io);
    let result: RedriveResult;
    try {
      result = await redrive({
        queueUrl,
        destinationQueueUrl: optionalString(context.values, 'to'),
        maxMessages,
        maxMessagesPerSecond,
        dryRun: context.values['dry-run'] === true,
        client: context.clients.sqs(),
        onProgress: ({ moved, total }) => bar.update(moved, total),
      });
    } finally {
      bar.finish();
    }
    context.io.stdout.write(context.values.json ? `${JSON.stringify(result, null, 2)}\n` : `${describeRedrive(queueUrl, result)}\n`);
  },
};

/** The outcome in a sentence or two: what moved (or would), where, how, and why that way. */
export function describeRedrive(queueUrl: string, result: RedriveResult): string {
  const destination = result.destinationQueueUrl ?? 'the queue each message came from';
  const how = result.method === 'message-move-task'
    ? 'with an SQS message move task'
    : `by receive, send and delete${result.reason ? ` (${result.reason})` : ''}`;
  if (result.dryRun) {
    return `Dry run: would move ~${result.approximateMessages} message(s) from ${queueUrl} to ${destination} ${how}. Nothing was changed.`;
  }
  const task = result.taskHandle ? ` Task ${result.taskStatus}: ${result.taskHandle}.` : '';
  return `Moved ${result.method === 'message-move-task' ? '~' : ''}${result.moved} message(s) from ${queueUrl} to ${destination} ${how}.${task}`;
}
