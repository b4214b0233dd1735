import { queueFacts } from '@cdk-fanout/runtime/redrive';
import { optionalInteger, type Command } from './command';
import { DLQ_LOCATION_OPTIONS, deadLetterQueueUrl, FORCE_OPTION, requireDeadLetterQueue } from './dlq-location';
import { dlqRow, type DlqRow } from './dlq-row';
import { cell, formatAge, formatTable } from './format';
import { peekMessages } from './peek';

const DEFAULT_MAX = 100;

export const dlqInspect: Command = {
  name: 'dlq inspect',
  summary: 'List the messages in a dead-letter queue and why they are there, without consuming them.',
  description: 'Each listed message\'s receive count goes up by one.',
  options: {
    ...DLQ_LOCATION_OPTIONS,
    max: { type: 'string', value: 'N', description: `list at most N messages (default ${DEFAULT_MAX})` },
    json: { type: 'boolean', description: 'print JSON (every field and the body) instead of a table' },
    ...FORCE_OPTION,
  },
  examples: [
    'fanout dlq inspect --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/OrdersFanOut-OrdersBillingDeadLetterQueue924D16D9-AbC',
    'fanout dlq inspect --stack OrdersFanOut --consumer billing --json | jq \'.messages[].error\'',
  ],
  async run(context) {
    const max = optionalInteger(context.values, 'max', 1) ?? DEFAULT_MAX;
    const queueUrl = await deadLetterQueueUrl(context);
    const sqs = context.clients.sqs();
    const queue = await queueFacts(sqs, queueUrl);
    await requireDeadLetterQueue(context, sqs, queue, 'each inspection raises its messages\' receive counts until SQS dead-letters them');
    const { messages, stillHidden } = await peekMessages(sqs, queueUrl, max);
    const now = Date.now();
    const rows = messages.map((message) => dlqRow(message, now));
    const { stdout, stderr } = context.io;
    if (context.values.json) {
      stdout.write(`${JSON.stringify({ queueUrl, approximateMessages: queue.approximateMessages, messages: rows }, null, 2)}\n`);
    } else if (rows.length === 0) {
      stdout.write(`${queueUrl} is empty.\n`);
    } else {
      stdout.write(formatTable(['ID', 'TYPE', 'SOURCE', 'REASON', 'ERROR', 'RECEIVES', 'AGE'], rows.map(tableRow)));
      stdout.write(`${rows.length} of ~${queue.approximateMessages} message(s) in ${queueUrl}${listingNote(rows.length, max, queue.fifo)}\n`);
    }
    if (stillHidden > 0) {
      stderr.write(`warning: ${stillHidden} message(s) could not be made visible again and stay hidden for up to a minute\n`);
    }
  },
};

function tableRow(row: DlqRow): string[] {
  return [
    cell(row.id, 40),
    cell(row.type, 30),
    cell(row.source, 24),
    cell(row.reason, 22),
    cell(row.error ?? (row.problem && `not an envelope: ${row.problem}`), 60),
    String(row.receiveCount),
    row.ageSeconds === undefined ? '-' : formatAge(row.ageSeconds * 1000),
  ];
}

/**
 * Why the list may be shorter than the queue: the limit, or a FIFO queue, which hands out only
 * the first messages of a group until they are deleted or visible again.
 */
function listingNote(listed: number, max: number, fifo: boolean): string {
  if (listed >= max) return ` (the first ${max}; --max for more)`;
  return fifo ? ' (FIFO: only the first messages of each message group can be listed)' : '';
}
