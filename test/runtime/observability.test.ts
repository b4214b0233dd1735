import type { SQSRecord } from 'aws-lambda';
import { PoisonMessageError } from '@cdk-fanout/runtime';
import { deadLetterMessage } from '../../runtime/src/dead-letter';
import { createJsonLogger, logLevelFromEnv, withFields } from '../../runtime/src/logger';
import { emfLine } from '../../runtime/src/metrics';
import { countOutcomes } from '../../runtime/src/outcome';
import { sqsRecord } from '@cdk-fanout/testing';

describe('logger', () => {
  test('JSON lines at and above the level, record fields merged, errors kept readable', () => {
    const lines: string[] = [];
    const logger = withFields(createJsonLogger({ level: 'WARN', write: (line) => lines.push(line) }), { messageId: 'm-1' });
    logger.info('dropped');
    logger.error('handler failed', { error: new TypeError('boom') });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ level: 'ERROR', message: 'handler failed', messageId: 'm-1', error: { name: 'TypeError', message: 'boom' } });
    expect(Date.parse(line.timestamp)).not.toBeNaN();
  });

  test.each([[undefined, 'INFO'], ['trace', 'DEBUG'], ['WARN', 'WARN'], ['FATAL', 'ERROR'], ['nonsense', 'INFO']])('AWS_LAMBDA_LOG_LEVEL %p is %p', (value, level) => {
    expect(logLevelFromEnv(value)).toBe(level);
  });
});

test('metrics: one EMF line per batch with every count, dimension ConsumerName', () => {
  const counts = countOutcomes([
    { kind: 'processed' },
    { kind: 'processed', completionWriteFailed: true },
    { kind: 'duplicate' },
    { kind: 'poisoned', reason: 'schema' },
    { kind: 'failed', cause: 'handler-error' },
    { kind: 'skipped' },
  ]);
  const line = JSON.parse(emfLine('CdkFanout', 'billing', counts, 1_800_000_000_000));
  expect(line).toEqual({
    _aws: {
      Timestamp: 1_800_000_000_000,
      CloudWatchMetrics: [{
        Namespace: 'CdkFanout',
        Dimensions: [['ConsumerName']],
        Metrics: ['Processed', 'Duplicates', 'Skipped', 'Poison', 'Failures', 'CompletionWriteFailures'].map((Name) => ({ Name, Unit: 'Count' })),
      }],
    },
    ConsumerName: 'billing',
    Processed: 2, Duplicates: 1, Skipped: 1, Poison: 1, Failures: 1, CompletionWriteFailures: 1,
  });
});

describe('dead-letter message', () => {
  const error = new PoisonMessageError('schema', 'amount: expected number');

  test('standard DLQ: body and attributes kept, binary decoded, no FIFO ids', () => {
    const record = sqsRecord('{"x":1}', { messageAttributes: {
      type: { dataType: 'String', stringValue: 'order.created' },
      blob: { dataType: 'Binary', binaryValue: Buffer.from([1, 2, 3]).toString('base64') },
    } });
    const { input, dropped } = deadLetterMessage(record, error, 'https://sqs/000000000000/billing-dlq');
    expect(input).toEqual({
      QueueUrl: 'https://sqs/000000000000/billing-dlq',
      MessageBody: '{"x":1}',
      MessageAttributes: {
        type: { DataType: 'String', StringValue: 'order.created' },
        blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        'fanout.error': { DataType: 'String', StringValue: 'amount: expected number' },
        'fanout.reason': { DataType: 'String', StringValue: 'schema' },
      },
    });
    expect(dropped).toEqual([]);
  });

  test('FIFO DLQ keeps the group id and deduplicates by the message id; over 8 originals the rest are reported dropped', () => {
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { dataType: 'String', stringValue: String(i) }])) as SQSRecord['messageAttributes'];
    const record = sqsRecord('{}', { groupId: 'g-1', deduplicationId: 'd-1', messageAttributes: many });
    const { input, dropped } = deadLetterMessage(record, new PoisonMessageError('non-retryable', 'x'.repeat(5000)), 'https://sqs/000000000000/billing-dlq.fifo');
    expect(input.MessageGroupId).toBe('g-1');
    expect(input.MessageDeduplicationId).toBe(record.messageId);
    expect(Object.keys(input.MessageAttributes!)).toHaveLength(10);
    expect(dropped).toEqual(['a8', 'a9']);
    expect(input.MessageAttributes!['fanout.error'].StringValue).toHaveLength(1024);
  });

  test('fanout.error is valid Unicode even when cutting splits an emoji or the message quotes a lone surrogate', () => {
    const cutInPair = new PoisonMessageError('schema', `${'x'.repeat(1023)}\u{1F4E6}`);
    const quoted = new PoisonMessageError('schema', 'bad value "\uD800"');
    for (const error of [cutInPair, quoted]) {
      const text = deadLetterMessage(sqsRecord('{}'), error, 'https://sqs/000000000000/billing-dlq').input.MessageAttributes!['fanout.error'].StringValue!;
      expect(text).not.toMatch(/\p{Cs}/u);
      expect(text).toContain('\uFFFD');
    }
  });
});
