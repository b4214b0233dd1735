import { queueFacts } from '@cdk-fanout/runtime/redrive';
import { optionalInteger, type Command } from './command';
import { ROLE_FAILURE_RECORDS } from '@cdk-fanout/runtime/names';
import { DLQ_LOCATION_OPTIONS, FORCE_OPTION, locateDeadLetterQueue, requireDeadLetterQueue } from './dlq-location';
import { payloadState, withPayloads, PAYLOAD_READS_IN_FLIGHT } from './dlq-payload';
import { dlqRow, type DlqRow } from './dlq-row';
import { cell, formatAge, formatTable } from './format';
import { describeFailure } from './on-failure-record';
import { peekMessages } from './peek';

const DEFAULT_MAX = 100;

/** The line over a listing of Lambda's on-failure records: they are not the messages. */
export const ON_FAILURE_HEADER = 'Lambda\'s on-failure records: batch metadata (shard or partition, sequence number or offset range, the error), not the messages; '
  + 'read those from the stream or topic, from the recorded position, while it still holds them.';

export const dlqInspect: Command = {
  name: 'dlq inspect',
  summary: 'List the messages in a dead-letter queue and why they are there, without consuming them.',
  description: 'Each listed message\'s receive count goes up by one. A stream or Kafka consumer\'s dead-letter queue holds Lambda\'s on-failure records '
    + '(where the failed batch is: shard or partition, sequence number or offset range; and why): they are listed as such. '
    + 'A claim check (a pointer to a large body in S3) is listed with its bucket, key and the object\'s size, or `missing`; --payloads reads the bodies.',
  options: {
    ...DLQ_LOCATION_OPTIONS,
    max: { type: 'string', value: 'N', description: `list at most N messages (default ${DEFAULT_MAX})` },
    json: { type: 'boolean', description: 'print JSON (every field and the body) instead of a table' },
    payloads: { type: 'boolean', description: `read the S3 body of each claim check (${PAYLOAD_READS_IN_FLIGHT} at a time): its envelope's id, type and source in the table, the body in --json` },
    ...FORCE_OPTION,
  },
  examples: [
    'fanout dlq inspect --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/OrdersFanOut-OrdersBillingDeadLetterQueue924D16D9-AbC',
    'fanout dlq inspect --stack OrdersFanOut --consumer billing --json | jq \'.messages[].error\'',
  ],
  async run(context) {
    const max = optionalInteger(context.values, 'max', 1) ?? DEFAULT_MAX;
    const location = await locateDeadLetterQueue(context);
    const queueUrl = location.deadLetterQueueUrl;
    const sqs = context.clients.sqs();
    const queue = await queueFacts(sqs, queueUrl);
    await requireDeadLetterQueue(context, sqs, queue, 'each inspection raises its messages\' receive counts until SQS dead-letters them', location);
    const { messages, stillHidden } = await peekMessages(sqs, queueUrl, max);
    const now = Date.now();
    const read = messages.map((message) => dlqRow(message, now));
    const s3 = read.some((row) => row.payload) ? context.clients.s3() : undefined;
    const rows = s3 ? await withPayloads(s3, read, context.values.payloads === true) : read;
    const { stdout, stderr } = context.io;
    if (context.values.json) {
      const role = location.deadLetterRole === undefined ? {} : { deadLetterRole: location.deadLetterRole };
      stdout.write(`${JSON.stringify({ queueUrl, ...role, approximateMessages: queue.approximateMessages, messages: rows }, null, 2)}\n`);
    } else if (rows.length === 0) {
      stdout.write(`${queueUrl} is empty.\n`);
    } else {
      // A stream or Kafka consumer's DLQ: Lambda's on-failure records first, then any poison its handler sent.
      const onFailure = rows.filter((row) => row.onFailure !== undefined);
      const others = rows.filter((row) => row.onFailure === undefined);
      const tables: string[] = [];
      if (onFailure.length > 0) {
        tables.push(formatTable(['STREAM/TOPIC', 'SHARD/PARTITION', 'FIRST', 'LAST', 'BATCH', 'FAILURE', 'AGE'], onFailure.flatMap(onFailureRows)));
      }
      if (others.length > 0) tables.push(formatTable(['ID', 'TYPE', 'SOURCE', 'REASON', 'ERROR', 'RECEIVES', 'AGE'], others.map(tableRow)));
      const claimChecks = others.filter((row) => row.payload !== undefined);
      if (claimChecks.length > 0) tables.push(formatTable(['CLAIM CHECK', 'BUCKET', 'KEY', 'SIZE'], claimChecks.map(claimCheckRow)));
      if (onFailure.length > 0 || location.deadLetterRole === ROLE_FAILURE_RECORDS) stdout.write(`${ON_FAILURE_HEADER}\n`);
      stdout.write(tables.join('\n'));
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

/** A claim check: its envelope id once read (else the SQS message id), where its body is and the object's size or state. */
function claimCheckRow(row: DlqRow): string[] {
  const payload = row.payload!;
  return [cell(row.id ?? row.messageId, 40), cell(payload.bucket, 40), payload.key, cell(payloadState(payload), 60)];
}

/**
 * One line per shard or topic partition of the failed batch, its position in full (a cut
 * sequence number or offset is of no use to re-read it).
 */
function onFailureRows(row: DlqRow): string[][] {
  const record = row.onFailure!;
  const age = row.ageSeconds === undefined ? '-' : formatAge(row.ageSeconds * 1000);
  const ranges = record.ranges.length > 0 ? record.ranges : [{ streamOrTopic: '', shardOrPartition: '' }];
  return ranges.map((range) => [
    cell(range.streamOrTopic, 40),
    cell(range.shardOrPartition, 30),
    range.first ?? '-',
    range.last ?? '-',
    record.batchSize === undefined ? '-' : String(record.batchSize),
    cell(describeFailure(record), 50),
    age,
  ]);
}

/**
 * Why the list may be shorter than the queue: the limit, or a FIFO queue, which hands out only
 * the first messages of a group until they are deleted or visible again.
 */
function listingNote(listed: number, max: number, fifo: boolean): string {
  if (listed >= max) return ` (the first ${max}; --max for more)`;
  return fifo ? ' (FIFO: only the first messages of each message group can be listed)' : '';
}
