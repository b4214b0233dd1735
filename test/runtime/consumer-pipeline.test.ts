/*
 * The consumer pipeline with its ports replaced: a dead-letter sender and a clock of the test's
 * own, no AWS client at all (the idempotency store is absent: idempotency off).
 */
import { resolveCreateConsumerOptions, type TypeHandler } from '../../runtime/src/consumer-options';
import { ConsumerPipeline } from '../../runtime/src/consumer-pipeline';
import type { DeadLetterSender } from '../../runtime/src/dispositions';
import { PoisonMessageError } from '../../runtime/src/poison-message-error';
import { captureLogs, envelope, sqsEvent, sqsRecord } from '@cdk-fanout/testing';

const handlers: Record<string, TypeHandler> = {
  'order.created': {
    handle: async (data) => {
      if ((data as { poison?: boolean }).poison) throw new PoisonMessageError('non-retryable', 'order cannot be billed');
    },
  },
};

function pipeline(deadLetters: DeadLetterSender, nowMs: number) {
  const config = resolveCreateConsumerOptions({ consumerName: 'billing', idempotency: false, handlers, metrics: { namespace: 'Test' } }, {});
  const logs = captureLogs();
  return { logs, pipeline: new ConsumerPipeline(config, handlers, logs.logger, { store: undefined, deadLetters, poisonMarks: undefined, clock: { now: () => nowMs } }) };
}

describe('ConsumerPipeline with replaced ports', () => {
  let written: string[];
  beforeEach(() => {
    written = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((line) => (written.push(String(line)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  test('poison goes to the given dead-letter sender with its reason; the metrics carry the given clock\'s time', async () => {
    const sent: { messageId: string; reason: string }[] = [];
    const { pipeline: consumer } = pipeline({ send: async (record, error) => (sent.push({ messageId: record.messageId, reason: error.reason }), []) }, 1_700_000_000_123);
    const event = sqsEvent(
      sqsRecord(envelope('order.created', { poison: true }), { messageId: 'm-poison' }),
      sqsRecord(envelope('order.created', {}), { messageId: 'm-ok' }),
      sqsRecord('not json', { messageId: 'm-malformed' }),
    );
    await expect(consumer.run(event)).resolves.toEqual({ batchItemFailures: [] });
    expect(sent).toEqual(expect.arrayContaining([{ messageId: 'm-poison', reason: 'non-retryable' }, { messageId: 'm-malformed', reason: 'malformed-json' }]));
    expect(sent).toHaveLength(2);
    const metrics = written.map((line) => JSON.parse(line)).find((line) => line._aws);
    expect(metrics).toMatchObject({ _aws: { Timestamp: 1_700_000_000_123 }, Poison: 2, Processed: 1 });
  });

  test('a dead-letter sender that fails leaves the poison record to be retried', async () => {
    const { pipeline: consumer, logs } = pipeline({ send: async () => { throw new Error('queue unreachable'); } }, 0);
    const event = sqsEvent(sqsRecord(envelope('order.created', { poison: true }), { messageId: 'm-poison' }));
    await expect(consumer.run(event)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm-poison' }] });
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'ERROR', fields: expect.objectContaining({ cause: 'dead-letter-send-failed', reason: 'non-retryable' }) }));
  });
});
