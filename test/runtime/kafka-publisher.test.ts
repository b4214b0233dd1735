/*
 * The Kafka publisher against kafkajs's producer interface. No Kafka broker can run on these
 * machines (no Docker; no npm or Debian package ships one), so nothing here is written to a broker:
 * the producer is a recording fake, type-checked against kafkajs's own `Producer` type, that
 * partitions with kafkajs's real DefaultPartitioner and keeps a log per partition; and the real
 * kafkajs checks the producer settings the publisher asks for (and fails to connect, with no broker).
 * Random send failures are seeded and printed; replay with FANOUT_TEST_SEED=<seed>.
 */
import {
  Kafka, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, logLevel, Partitioners,
  type Message, type PartitionMetadata, type Producer, type ProducerConfig, type ProducerRecord, type RecordMetadata,
} from 'kafkajs';
import { parseEnvelope } from '@cdk-fanout/runtime';
import { KafkaPublisher, type KafkaBatchEntry, type KafkaBatchEntryResult } from '@cdk-fanout/runtime/kafka-publisher';
import { seededRandom, testSeed } from '@cdk-fanout/testing';

const SEED = testSeed();
const PARTITIONS = 6;
const TOPIC = 'orders';

/** kafkajs's own protocol errors, as its producer throws them once its retries are spent. */
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): KafkaJSProtocolError };
const retriesExceeded = (code: number) => new KafkaJSNumberOfRetriesExceeded(createErrorFromCode(code) as unknown as Error, { retryCount: 2, retryTime: 300 });

interface Written { readonly key: string; readonly value: string; readonly headers: Record<string, string> }

/** What a failing send did: the partitions the broker wrote before kafkajs gave up, and the error it threw. */
type SendFault = { readonly written: (partition: number) => boolean; readonly error: Error } | undefined;

/** A broker's partitions as logs, and a producer that writes into them: kafkajs's Producer interface, the parts the publisher uses. */
class RecordingKafka {
  readonly configs: ProducerConfig[] = [];
  readonly sends: ProducerRecord[] = [];
  readonly logs = Array.from({ length: PARTITIONS }, (): Written[] => []);
  connects = 0;
  disconnects = 0;
  connectError?: Error;
  private readonly partition = Partitioners.DefaultPartitioner();
  private readonly metadata: PartitionMetadata[] = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

  constructor(private readonly fault: (send: number) => SendFault = () => undefined) {}

  producer(config: ProducerConfig): Pick<Producer, 'connect' | 'disconnect' | 'send'> {
    this.configs.push(config);
    return {
      connect: async () => {
        this.connects++;
        if (this.connectError) throw this.connectError;
      },
      disconnect: async () => {
        this.disconnects++;
      },
      send: async (record: ProducerRecord): Promise<RecordMetadata[]> => {
        this.sends.push(record);
        const fault = this.fault(this.sends.length);
        const byPartition = new Map<number, Message[]>();
        for (const message of record.messages) {
          const partition = this.partition({ topic: record.topic, partitionMetadata: this.metadata, message });
          byPartition.set(partition, [...(byPartition.get(partition) ?? []), message]);
        }
        const metadata: RecordMetadata[] = [];
        for (const [partition, messages] of byPartition) {
          if (fault && !fault.written(partition)) continue;
          metadata.push({ topicName: record.topic, partition, errorCode: 0, baseOffset: String(this.logs[partition].length) });
          for (const message of messages) {
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
            this.logs[partition].push({ key: String(message.key), value: String(message.value), headers });
          }
        }
        if (fault) throw fault.error;
        return metadata;
      },
    };
  }

  /** Every message written, in partition order. */
  written(): Written[] {
    return this.logs.flat();
  }
}

const entries = (count: number, keys: number, extra: object = {}): KafkaBatchEntry[] =>
  Array.from({ length: count }, (_, n) => ({ type: 'order.updated', data: { n, ...extra }, key: `order-${n % keys}` }));
const positionOf = (message: Written) => (JSON.parse(message.value) as { data: { n: number } }).data.n;
/** Per key, the positions (`data.n`) written, in partition order (one key, one partition). */
function positionsPerKey(kafka: RecordingKafka): Map<string, number[]> {
  const perKey = new Map<string, number[]>();
  for (const message of kafka.written()) perKey.set(message.key, [...(perKey.get(message.key) ?? []), positionOf(message)]);
  return perKey;
}

describe('KafkaPublisher', () => {
  test('creates one idempotent producer: idempotent, one request in flight, retries = maxAttempts - 1, no topic auto-creation', () => {
    const kafka = new RecordingKafka();
    const publisher = new KafkaPublisher({ kafka, topic: TOPIC, source: 'order-service', maxAttempts: 4, retryBaseDelayMs: 250 });

    expect(kafka.configs).toEqual([{ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 60_000 } }]);
    expect(publisher.producerConfig).toEqual(kafka.configs[0]);
    expect(new KafkaPublisher({ kafka, topic: TOPIC, source: 'order-service', createPartitioner: Partitioners.DefaultPartitioner }).producerConfig)
      .toMatchObject({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2, initialRetryTime: 100 } });
  });

  test('the real kafkajs takes those settings (and refuses an idempotent producer without retries, hence maxAttempts >= 2); with no broker, a publish fails and says why', async () => {
    const logs: string[] = [];
    const kafka = new Kafka({
      clientId: 'cdk-fanout-test', brokers: ['127.0.0.1:1'], connectionTimeout: 200, retry: { retries: 0 },
      logLevel: logLevel.WARN, logCreator: () => ({ log }) => { logs.push(log.message); },
    });
    expect(() => kafka.producer({ idempotent: true, retry: { retries: 0 } })).toThrow(/Idempotent producer must allow retries/);

    const publisher = new KafkaPublisher({ kafka, topic: TOPIC, source: 'order-service', createPartitioner: Partitioners.DefaultPartitioner });

    // kafkajs saw an idempotent producer with limited retries.
    expect(logs).toContain('Limiting retries for the idempotent producer may invalidate EoS guarantees');
    const [result] = await publisher.publishBatch(entries(1, 1));
    expect(result).toMatchObject({ ok: false, error: { senderFault: false, code: 'KafkaJSConnectionError', message: expect.stringContaining('ECONNREFUSED 127.0.0.1:1') } });
    await publisher.disconnect();
  });

  test('each message: the entity id as key, the envelope as value, type/version/source headers; acks -1; one key, one partition, in order', async () => {
    const kafka = new RecordingKafka();
    const publisher = new KafkaPublisher({ kafka, topic: TOPIC, source: 'order-service' });

    const single = await publisher.publish('order.created', { n: -1 }, { key: 'order-0', correlationId: 'c-1' });
    const results = await publisher.publishBatch(entries(60, 12));

    expect(kafka.connects).toBe(1);
    expect(kafka.sends.map((send) => [send.topic, send.acks, send.messages.length])).toEqual([[TOPIC, -1, 1], [TOPIC, -1, 60]]);
    expect(single).toMatchObject({ topic: TOPIC, envelope: { type: 'order.created', correlationId: 'c-1', source: 'order-service' } });
    const written = kafka.written();
    expect(written).toHaveLength(61);
    for (const result of [single, ...results]) {
      const message = written.find((candidate) => (JSON.parse(candidate.value) as { id: string }).id === result.envelope.id)!;
      expect(parseEnvelope(message.value)).toEqual(result.envelope);
      expect(message.headers).toEqual({ type: result.envelope.type, version: '1', source: 'order-service' });
    }
    expect(kafka.logs.filter((log) => log.length > 0).length).toBeGreaterThan(1);
    for (const [key, positions] of positionsPerKey(kafka)) {
      const expected = Array.from({ length: 5 }, (_, i) => Number(key.slice(6)) + 12 * i);
      expect(positions).toEqual(key === 'order-0' ? [-1, ...expected] : expected);
      expect(kafka.logs.filter((log) => log.some((message) => message.key === key))).toHaveLength(1);
    }
    await publisher.disconnect();
    expect(kafka.disconnects).toBe(1);
  });

  test.each([
    [undefined, 'nothing'],
    ['', '""'],
    [7, '7'],
    ['bad\uD800', '"bad\\ud800"'],
  ])('key %p: refused with one line before anything is sent', async (key, shown) => {
    const kafka = new RecordingKafka();
    const publisher = new KafkaPublisher({ kafka, topic: TOPIC, source: 'order-service' });

    await expect(publisher.publishBatch([{ type: 'order.created', data: {}, key: 'order-1' }, { type: 'order.created', data: {}, key } as unknown as KafkaBatchEntry]))
      .rejects.toThrow(new RegExp(`^publishBatch entry 1: key must be the id of the entity the event is about \\(a non-empty string; never random, so that its messages stay in order on one partition\\), got ${shown.replace(/[\\]/g, '\\\\')} \\(envelope [0-9a-f-]{36}, type order.created\\)$`));
    await expect(publisher.publish('order.created', {}, undefined as never)).rejects.toThrow(/^publish: key must be the id of the entity .* got nothing/);
    expect(kafka.sends).toHaveLength(0);
    expect(kafka.connects).toBe(0);
  });

  test('the size guard (value, key and headers against maxMessageBytes) and sends of at most 500 messages and maxMessageBytes', async () => {
    const kafka = new RecordingKafka();
    const publisher = new KafkaPublisher({ kafka, topic: TOPIC, source: 'order-service', maxMessageBytes: 10_000 });

    await expect(publisher.publish('order.created', { blob: 'x'.repeat(10_000) }, { key: 'order-1' })).rejects.toThrow(
      /^publish: envelope [0-9a-f-]{36} \(type order.created\) is 10\d{3} bytes with its key and headers, over maxMessageBytes of 10000 bytes; give the KafkaPublisher largePayloads: \{ bucket \} \(or set FANOUT_PAYLOAD_BUCKET\) to send it through S3$/,
    );
    expect(kafka.sends).toHaveLength(0);
    // About 3,200 bytes each: 3 per send of at most 10,000 bytes.
    await publisher.publishBatch(entries(10, 3, { blob: 'x'.repeat(3_000) }));
    const defaults = new RecordingKafka();
    await new KafkaPublisher({ kafka: defaults, topic: TOPIC, source: 'order-service' }).publishBatch(entries(1_100, 7));

    expect(kafka.sends.map((send) => send.messages.length)).toEqual([3, 3, 3, 1]);
    expect(defaults.sends.map((send) => send.messages.length)).toEqual([500, 500, 100]);
    for (const send of kafka.sends) {
      const bytes = (message: Message) => Buffer.byteLength(String(message.value)) + Buffer.byteLength(String(message.key))
        + Object.entries(message.headers ?? {}).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(String(value)), 0);
      expect(send.messages.reduce((sum, message) => sum + bytes(message), 0)).toBeLessThanOrEqual(10_000);
    }
  });

  test('a send kafkajs gave up on: its messages fail with the error kafkajs retried, are never sent again, and hold their keys back; other keys go on', async () => {
    // The second send fails after the broker wrote partition 0's messages only.
    const kafka = new RecordingKafka((send) => (send === 2 ? { written: (partition) => partition === 0, error: retriesExceeded(6) } : undefined));
    const publisher = new KafkaPublisher({ kafka, topic: TOPIC, source: 'order-service', maxMessageBytes: 2_000 });
    // Small sends: about 8 messages each.
    const batch = entries(40, 10);

    const results = await publisher.publishBatch(batch);

    const secondSend = new Set(kafka.sends[1].messages.map((message) => String(message.key)));
    const failedIndexes = results.flatMap((result, index) => (result.ok ? [] : [index]));
    for (const index of failedIndexes) {
      const result = results[index] as Extract<KafkaBatchEntryResult, { ok: false }>;
      if (kafka.sends[1].messages.some((message) => String(message.value).includes(result.envelope.id))) {
        expect(result.error).toMatchObject({ code: 'NOT_LEADER_FOR_PARTITION', senderFault: false });
      } else {
        expect(secondSend.has(batch[index].key)).toBe(true);
        expect(result.error).toMatchObject({ code: 'EarlierEntryFailed', message: expect.stringMatching(/^not sent: entry \d+ of key "order-\d" failed for good \(NOT_LEADER_FOR_PARTITION\)/) });
      }
    }
    // No message was sent twice; keys outside the failed send all went through.
    const sentIds = kafka.sends.flatMap((send) => send.messages.map((message) => (JSON.parse(String(message.value)) as { id: string }).id));
    expect(new Set(sentIds).size).toBe(sentIds.length);
    for (const [index, result] of results.entries()) if (!secondSend.has(batch[index].key)) expect(result.ok).toBe(true);
    // Per key, what was written is in input order.
    for (const positions of positionsPerKey(kafka).values()) expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  test('an error no retry can fix is the sender\'s fault; a failed connect fails the send and is tried again by the next publish', async () => {
    const refusing = new RecordingKafka(() => ({ written: () => false, error: createErrorFromCode(29) as unknown as Error }));
    const [refused] = await new KafkaPublisher({ kafka: refusing, topic: TOPIC, source: 'order-service' }).publishBatch(entries(1, 1));
    expect(refused).toMatchObject({ ok: false, error: { code: 'TOPIC_AUTHORIZATION_FAILED', senderFault: true } });

    const kafka = new RecordingKafka();
    kafka.connectError = Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError', retriable: true });
    const publisher = new KafkaPublisher({ kafka, topic: TOPIC, source: 'order-service' });
    await expect(publisher.publish('order.created', {}, { key: 'order-1' })).rejects.toMatchObject({ name: 'PublishFailedError', code: 'KafkaJSConnectionError', senderFault: false });
    kafka.connectError = undefined;
    await publisher.publish('order.created', {}, { key: 'order-1' });
    expect(kafka.connects).toBe(2);
    expect(kafka.sends).toHaveLength(1);
  });
});

test(`figures: 2000 messages, 40 keys, 6 partitions, 20 % of sends failing after writing some partitions (seed ${SEED})`, async () => {
  const draw = seededRandom(SEED);
  let failedSends = 0;
  const kafka = new RecordingKafka(() => {
    if (draw() >= 0.2) return undefined;
    failedSends++;
    const written = new Set(Array.from({ length: PARTITIONS }, (_, partition) => partition).filter(() => draw() < 0.5));
    return { written: (partition) => written.has(partition), error: retriesExceeded(draw() < 0.5 ? 6 : 3) };
  });
  const publisher = new KafkaPublisher({ kafka, topic: TOPIC, source: 'figures', maxMessageBytes: 20_000 });
  const keyDraw = seededRandom(SEED + 1);
  const batch: KafkaBatchEntry[] = Array.from({ length: 2_000 }, (_, n) => ({ type: 'order.updated', data: { n }, key: `order-${Math.floor(keyDraw() * 40)}` }));

  const results: KafkaBatchEntryResult[] = [];
  for (let start = 0; start < batch.length; start += 500) results.push(...await publisher.publishBatch(batch.slice(start, start + 500)));

  const copies = new Map(results.map((result) => [result.envelope.id, 0]));
  for (const message of kafka.written()) {
    const id = (JSON.parse(message.value) as { id: string }).id;
    copies.set(id, copies.get(id)! + 1);
  }
  const perKey = positionsPerKey(kafka);
  const keysInOrder = [...perKey.values()].filter((positions) => positions.every((n, i) => i === 0 || n > positions[i - 1])).length;
  const histogram = new Map<number, number>();
  for (const count of copies.values()) histogram.set(count, (histogram.get(count) ?? 0) + 1);
  const codes = new Map<string, number>();
  for (const result of results) if (!result.ok) codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1);
  console.log([
    `Kafka (recorded producer, no broker): ${batch.length} messages in 4 publishBatch, 40 keys, ${PARTITIONS} partitions, 20 % of sends failing after writing about half of their partitions (seed ${SEED}; replay with FANOUT_TEST_SEED=${SEED})`,
    `  sends ${kafka.sends.length}, failed ${failedSends}`,
    `  copies per message written: ${[...histogram].sort(([a], [b]) => a - b).map(([count, n]) => `${count}: ${n}`).join(', ')}; max ${Math.max(...copies.values())}`,
    `  results: ${results.filter((result) => result.ok).length} ok, ${results.filter((result) => !result.ok).length} failed${codes.size ? ` (${[...codes].map(([code, count]) => `${code} ${count}`).join(', ')})` : ''}`,
    `  keys whose written messages are in input order: ${keysInOrder} of ${perKey.size}`,
  ].join('\n'));

  expect(Math.max(...copies.values())).toBe(1);
  expect(keysInOrder).toBe(perKey.size);
  for (const result of results) if (result.ok) expect(copies.get(result.envelope.id)).toBe(1);
});
