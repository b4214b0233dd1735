import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { queueFacts } from '@cdk-fanout/runtime/redrive';
import { type Command } from './command';
import { confirm } from './confirm';
import { DLQ_LOCATION_OPTIONS, FORCE_OPTION, locateDeadLetterQueue, requireDeadLetterQueue } from './dlq-location';

export const dlqPurge: Command = {
  name: 'dlq purge',
  summary: 'Delete every message in a dead-letter queue, for good.',
  description: 'Asks first unless --yes.',
  options: {
    ...DLQ_LOCATION_OPTIONS,
    yes: { type: 'boolean', description: 'do not ask (needed when stdin is not a terminal)' },
    ...FORCE_OPTION,
  },
  examples: [
    'fanout dlq purge --stack OrdersFanOut --consumer billing',
    'fanout dlq purge --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/orders-billing-dlq --yes',
  ],
  async run(context) {
    const location = await locateDeadLetterQueue(context);
    const queueUrl = location.deadLetterQueueUrl;
    const sqs = context.clients.sqs();
    const queue = await queueFacts(sqs, queueUrl);
    await requireDeadLetterQueue(context, sqs, queue, 'purging it deletes messages still waiting to be processed', location);
    const { approximateMessages } = queue;
    if (context.values.yes !== true) {
      if (!context.io.stdinIsTTY) {
        context.io.stderr.write(`fanout dlq purge: refusing to delete ~${approximateMessages} message(s) from ${queueUrl} without confirmation: stdin is not a terminal; pass --yes\n`);
        return 1;
      }
      if (!(await confirm(context.io, `Delete all ~${approximateMessages} message(s) in ${queueUrl}? This cannot be undone.`))) {
        context.io.stderr.write('Nothing was deleted.\n');
        return 1;
      }
    }
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    // SQS finishes a purge within 60 seconds; messages sent meanwhile may be deleted too.
    context.io.stdout.write(`Purged ${queueUrl} (~${approximateMessages} message(s); SQS completes a purge within 60 seconds).\n`);
    return 0;
  },
};
