/*
 * The Kinesis publisher against kinesalite (started in this process by the first test that needs
 * it, stopped after the file), read back with GetRecords per shard: the envelope as data, the
 * partition key, order per partition key, PutRecords calls of 500 records / 5 MiB, the 1 MiB size
 * guard, and faults as middleware on a real KinesisClient: records Kinesis fails
 * (ProvisionedThroughputExceededException entries in the PutRecords response), lost responses,
 * errors no retry can fix. Figures are seeded and printed; replay with FANOUT_TEST_SEED=<seed>.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { parseEnvelope } from '@cdk-fanout/runtime';
import {
  KINESIS_MAX_RECORD_BYTES, KinesisPublisher, type KinesisBatchEntry, type KinesisBatchEntryResult,
} from '@cdk-fanout/runtime/kinesis-publisher';
import { countRequests, loseSnsResponses, seededRandom, testSeed } from '@cdk-fanout/testing';
import { createStream, lazyKinesalite, readStream, type StreamRecord } from '../../testing/src/kinesalite';
import { failKinesisRecords } from '../../testing/src/kinesis-faults';

const SEED = testSeed();
const kinesis = lazyKinesalite();
let admin: KinesisClient;

beforeAll(async () => {
  console.log(`kinesis publisher: seed ${SEED} (replay with FANOUT_TEST_SEED=${SEED})`);
  admin = (await kinesis.get()).client();
});
afterAll(async () => {
  admin?.destroy();
  await kinesis.stop();
});

/** A client for kinesalite; `sdkAttempts` is the SDK's own maxAttempts (its default is 3). */
const clientWith = async (sdkAttempts?: number) => (await kinesis.get()).client(sdkAttempts === undefined ? {} : { maxAttempts: sdkAttempts });

const idOf = (record: StreamRecord) => (JSON.parse(record.data) as { id: string }).id;

/** Entries `count` long over `keys` partition keys (entry i is about order-(i % keys)), each with its position in `data.n`. */
const entries = (count: number, keys: number, extra: object = {}): KinesisBatchEntry[] =>
  Array.from({ length: count }, (_, n) => ({ type: 'order.updated', data: { n, ...extra }, partitionKey: `order-${n % keys}` }));

/** Per partition key, the positions (`data.n`) read back, in sequence order (per shard: a key lives on one shard). */
function positionsPerKey(records: readonly StreamRecord[]): Map<string, number[]> {
  const perKey = new Map<string, number[]>();
  for (const record of records) {
    const n = (JSON.parse(record.data) as { data: { n: number } }).data.n;
    perKey.set(record.partitionKey, [...(perKey.get(record.partitionKey) ?? []), n]);
  }
  return perKey;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const firstCopies = (positions: readonly number[]) => [...new Set(positions)];
const increasing = (positions: readonly number[]) => positions.every((n, i) => i === 0 || n > positions[i - 1]);

describe('KinesisPublisher', () => {
  test('publish and publishBatch: the envelope as data, the entity id as partition key, order per key across 3 shards', async () => {
    const client = await clientWith();
    const streamName = await createStream(admin, 3);
    const publisher = new KinesisPublisher({ streamName, source: 'order-service', client });

    const single = await publisher.publish('order.created', { n: -1 }, { partitionKey: 'order-0', correlationId: 'c-1' });
    const results = await publisher.publishBatch(entries(60, 12));

    const records = await readStream(admin, streamName);
    expect(records).toHaveLength(61);
    expect(parseEnvelope(records.find((record) => idOf(record) === single.envelope.id)!.data)).toEqual(single.envelope);
    expect(single.envelope).toMatchObject({ type: 'order.created', source: 'order-service', correlationId: 'c-1', version: '1' });
    expect(new Set(records.map((record) => record.shardId)).size).toBe(3);
    for (const [index, result] of results.entries()) {
      expect(result.ok).toBe(true);
      const read = records.find((record) => idOf(record) === result.envelope.id)!;
      expect(read).toMatchObject({ partitionKey: `order-${index % 12}`, ...(result.ok ? { shardId: result.shardId, sequenceNumber: result.sequenceNumber } : {}) });
      expect(parseEnvelope(read.data)).toEqual(result.envelope);
    }
    for (const [key, positions] of positionsPerKey(records)) {
      const expected = Array.from({ length: 5 }, (_, i) => Number(key.slice(6)) + 12 * i);
      expect(positions).toEqual(key === 'order-0' ? [-1, ...expected] : expected);
    }
    client.destroy();
  });

  test('PutRecords calls of at most 500 records and 5 MiB', async () => {
    const client = await clientWith();
    const streamName = await createStream(admin, 1);
    const perCall: number[] = [];
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'PutRecordsCommand') perCall.push((args.input as { Records: unknown[] }).Records.length);
      return next(args);
    }, { step: 'initialize', name: 'recordsPerCall' });
    const publisher = new KinesisPublisher({ streamName, source: 'order-service', client });

    const small = await publisher.publishBatch(entries(1_200, 7));
    // 300 KB each: 17 fit in 5 MiB (5,242,880 bytes), 18 do not.
    const large = await publisher.publishBatch(entries(20, 3, { blob: 'x'.repeat(300_000) }));

    expect(perCall).toEqual([500, 500, 200, 17, 3]);
    expect([...small, ...large].every((result) => result.ok)).toBe(true);
    expect(await readStream(admin, streamName)).toHaveLength(1_220);
    client.destroy();
  });

  test('refuses a record over 1 MiB with its partition key, naming its size and the limit, and sends nothing', async () => {
    const client = await clientWith();
    const requests = countRequests(client);
    const publisher = new KinesisPublisher({ streamName: 'never-written', source: 'order-service', client });
    const body = (blob: string) => JSON.stringify({ id: 'x'.repeat(36), type: 'order.created', version: '1', timestamp: new Date().toISOString(), source: 'order-service', data: { blob } });
    // The data alone is exactly 1 MiB: the partition key (7 bytes) pushes it over.
    const blob = 'x'.repeat(KINESIS_MAX_RECORD_BYTES - body('').length);

    await expect(publisher.publish('order.created', { blob }, { partitionKey: 'order-1' })).rejects.toThrow(new RegExp(
      `^publish: envelope [0-9a-f-]{36} \\(type order.created\\) is ${KINESIS_MAX_RECORD_BYTES + 7} bytes with its partition key, over the Kinesis limit for one record of 1048576 bytes \\(1 MiB\\); give the KinesisPublisher largePayloads: \\{ bucket \\} \\(or set FANOUT_PAYLOAD_BUCKET\\) to send it through S3$`,
    ));
    await expect(publisher.publish('order.created', { blob: blob.slice(7) }, { partitionKey: 'order-1' })).rejects.toThrow(/ResourceNotFoundException|not found/);
    expect(requests.of('PutRecordsCommand')).toBe(1); // only the record that fits was sent
    client.destroy();
  });

  test.each([
    [undefined, 'nothing'],
    ['', '""'],
    ['k'.repeat(257), `"${'k'.repeat(40)}…" (257 characters)`],
    [42, '42'],
    ['bad\uD800', '"bad\\ud800"'],
  ])('partition key %p: refused with one line before anything is sent', async (partitionKey, shown) => {
    const client = await clientWith();
    const requests = countRequests(client);
    const publisher = new KinesisPublisher({ streamName: 'never-written', source: 'order-service', client });
    const entry = { type: 'order.created', data: {}, partitionKey } as unknown as KinesisBatchEntry;

    await expect(publisher.publishBatch([{ type: 'order.created', data: {}, partitionKey: 'order-1' }, entry])).rejects.toThrow(new RegExp(
      `^publishBatch entry 1: partitionKey must be the id of the entity the event is about \\(1 to 256 characters; never random, so that its records stay in order\\), got ${escapeRegExp(shown)} \\(envelope [0-9a-f-]{36}, type order.created\\)$`,
    ));
    await expect(publisher.publish('order.created', {}, undefined as never)).rejects.toThrow(/^publish: partitionKey must be the id of the entity .* got nothing/);
    expect(requests.total()).toBe(0);
    client.destroy();
  });
});

describe('faults: only failed records retried, in order per partition key, attempts <= maxAttempts', () => {
  test('Kinesis fails a record and the later ones of its key (a throttled shard): they are retried, in order, alone', async () => {
    const client = await clientWith();
    const streamName = await createStream(admin, 2);
    let call = 0;
    // First call: entries 4, 6 and 8 (key order-0 from its third record on) fail.
    const calls = failKinesisRecords(client, () => (++call === 1 ? [4, 6, 8] : []));
    const publisher = new KinesisPublisher({ streamName, source: 'order-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(entries(10, 2));

    expect(results.every((result) => result.ok)).toBe(true);
    expect(calls).toEqual([Array.from({ length: 10 }, (_, n) => `order-${n % 2}`), ['order-0', 'order-0', 'order-0']]);
    const perKey = positionsPerKey(await readStream(admin, streamName));
    expect(perKey.get('order-0')).toEqual([0, 2, 4, 6, 8]);
    expect(perKey.get('order-1')).toEqual([1, 3, 5, 7, 9]);
    client.destroy();
  });

  test('a failed record is not retried after a later record of its key that Kinesis wrote; the later calls hold its key back', async () => {
    const client = await clientWith();
    const streamName = await createStream(admin, 2);
    let call = 0;
    // Entry 2 (order-0) fails in the first call; entry 4 (order-0) is written in the same call.
    failKinesisRecords(client, () => (++call === 1 ? [2] : []));
    const publisher = new KinesisPublisher({ streamName, source: 'order-service', client, retryBaseDelayMs: 1 });
    const batch = entries(6, 2);

    const first = await publisher.publishBatch(batch);

    expect(first[2]).toMatchObject({ ok: false, error: { code: 'ProvisionedThroughputExceededException', senderFault: false, message: expect.stringContaining('not retried: Kinesis accepted entry 4 of partition key "order-0" in the same call') } });
    expect(first.filter((result) => result.ok)).toHaveLength(5);
    expect(positionsPerKey(await readStream(admin, streamName)).get('order-0')).toEqual([0, 4]);
    client.destroy();
  });

  test('once a record fails for good, the later records of its key are not sent, in later calls too; other keys go on', async () => {
    const client = await clientWith();
    const streamName = await createStream(admin, 2);
    // 501 entries: the first call is 0-499. Entry 498 (order-0) always fails; 500 (order-0) would be in the second call.
    const calls = failKinesisRecords(client, (records) => records.flatMap((record, position) => (records.length === 500 && position === 498) || (records.length === 1 && record.PartitionKey === 'order-0') ? [position] : []));
    const requests = countRequests(client);
    const publisher = new KinesisPublisher({ streamName, source: 'order-service', client, maxAttempts: 3, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(entries(501, 2));

    // Three calls for entry 498 (the fault answers a call whose every record fails without a request), none for 500.
    expect(calls.map((keys) => keys.length)).toEqual([500, 1, 1]);
    expect(requests.of('PutRecordsCommand')).toBe(1);
    expect(results[498]).toMatchObject({ ok: false, error: { code: 'ProvisionedThroughputExceededException' } });
    expect(results[500]).toMatchObject({ ok: false, error: { code: 'EarlierEntryFailed', message: expect.stringContaining('entry 498 of partition key "order-0" failed for good (ProvisionedThroughputExceededException)') } });
    expect(results.filter((result) => !result.ok)).toHaveLength(2);
    const perKey = positionsPerKey(await readStream(admin, streamName));
    expect(perKey.get('order-0')).toEqual(Array.from({ length: 249 }, (_, i) => 2 * i));
    expect(perKey.get('order-1')).toHaveLength(250);
    client.destroy();
  });

  test.each([
    // [the client's SDK maxAttempts, the publisher's maxAttempts]: the SDK's default is 3.
    [undefined, 2],
    [5, 3],
    [1, 3],
  ])('every response lost: SDK maxAttempts %p, publisher maxAttempts %p: each record written exactly maxAttempts times', async (sdkAttempts, maxAttempts) => {
    const client = await clientWith(sdkAttempts);
    const streamName = await createStream(admin, 1);
    const requests = countRequests(client);
    const lost = loseSnsResponses(client, 'PutRecordsCommand', () => true);
    const publisher = new KinesisPublisher({ streamName, source: 'order-service', client, maxAttempts, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(entries(4, 2));
    await expect(publisher.publish('order.created', { n: 9 }, { partitionKey: 'order-9' })).rejects.toMatchObject({ name: 'PublishFailedError', code: 'ECONNRESET', senderFault: false });

    expect(requests.of('PutRecordsCommand')).toBe(2 * maxAttempts);
    expect(lost.lost).toBe(2 * maxAttempts);
    for (const result of results) expect(result).toMatchObject({ ok: false, error: { code: 'ECONNRESET' } });
    const perKey = positionsPerKey(await readStream(admin, streamName));
    // Each whole call was written again: the copies come in call order, so the first copies keep the order.
    expect(perKey.get('order-0')).toEqual(Array.from({ length: maxAttempts }, () => [0, 2]).flat());
    expect(perKey.get('order-9')).toEqual(Array(maxAttempts).fill(9));
    client.destroy();
  });

  test('a record that always fails: maxAttempts requests, then its error', async () => {
    const client = await clientWith();
    const streamName = await createStream(admin, 1);
    const calls = failKinesisRecords(client, () => [0], 'InternalFailure');
    const publisher = new KinesisPublisher({ streamName, source: 'order-service', client, maxAttempts: 4, retryBaseDelayMs: 1 });

    await expect(publisher.publish('order.created', {}, { partitionKey: 'order-1' })).rejects.toMatchObject({ code: 'InternalFailure', senderFault: false });

    expect(calls).toHaveLength(4);
    client.destroy();
  });

  test('a stream that does not exist: one request, the sender\'s fault', async () => {
    const client = await clientWith();
    const requests = countRequests(client);
    const publisher = new KinesisPublisher({ streamName: 'no-such-stream', source: 'order-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(entries(3, 2));

    expect(results.map((result) => !result.ok && result.error.code)).toEqual(['ResourceNotFoundException', 'ResourceNotFoundException', 'ResourceNotFoundException']);
    expect(results.every((result) => !result.ok && result.error.senderFault)).toBe(true);
    expect(requests.of('PutRecordsCommand')).toBe(1);
    client.destroy();
  });
});

describe(`figures: 1200 records, 25 partition keys, 4 shards, maxAttempts 3 (seed ${SEED})`, () => {
  const RECORDS = 1_200;
  const PER_BATCH = 600;
  const KEYS = 25;
  const MAX_ATTEMPTS = 3;
  const FAIL_RATE = 0.05;
  const LOST_RATE = 0.2;

  test('records failed by Kinesis (throttled: the rest of the key in that call too) and lost responses: copies <= maxAttempts, order per key kept', async () => {
    const client = await clientWith(); // the SDK's default retries (3)
    const streamName = await createStream(admin, 4);
    const failDraw = seededRandom(SEED);
    const lostDraw = seededRandom(SEED ^ 0x5bd1e995);
    const keyDraw = seededRandom(SEED + 1);
    const requests = countRequests(client);
    const lost = loseSnsResponses(client, 'PutRecordsCommand', () => lostDraw() < LOST_RATE);
    let failedInjected = 0;
    const calls = failKinesisRecords(client, (records) => {
      const throttled = new Set<string>();
      const positions: number[] = [];
      records.forEach((record, position) => {
        if (throttled.has(record.PartitionKey) || failDraw() < FAIL_RATE) {
          throttled.add(record.PartitionKey);
          positions.push(position);
        }
      });
      failedInjected += positions.length;
      return positions;
    });
    const publisher = new KinesisPublisher({ streamName, source: 'figures', client, maxAttempts: MAX_ATTEMPTS, retryBaseDelayMs: 1 });
    const batch: KinesisBatchEntry[] = Array.from({ length: RECORDS }, (_, n) => ({ type: 'order.updated', data: { n }, partitionKey: `order-${Math.floor(keyDraw() * KEYS)}` }));
    // Two publishBatch calls of 600 (each two PutRecords chunks: 500 and 100), as a service publishes over time.
    const results: KinesisBatchEntryResult[] = [];
    for (let start = 0; start < RECORDS; start += PER_BATCH) results.push(...await publisher.publishBatch(batch.slice(start, start + PER_BATCH)));

    const records = await readStream(admin, streamName);
    const copies = new Map(results.map((result) => [result.envelope.id, 0]));
    for (const record of records) copies.set(idOf(record), copies.get(idOf(record))! + 1);
    const perKey = positionsPerKey(records);
    const inputPerKey = new Map<string, number[]>();
    batch.forEach((entry, n) => inputPerKey.set(entry.partitionKey, [...(inputPerKey.get(entry.partitionKey) ?? []), n]));
    const keysInOrder = [...inputPerKey.keys()].filter((key) => increasing(firstCopies(perKey.get(key) ?? []))).length;
    // Throttling fails the rest of a key in its call, so what one publishBatch wrote of a key is a prefix of the key's
    // entries in it (a record that failed for good holds back the later ones of its key in that publishBatch only).
    const prefixIn = (key: string, input: readonly number[], from: number) => {
      const inBatch = input.filter((n) => n >= from && n < from + PER_BATCH);
      return firstCopies(perKey.get(key) ?? []).filter((n) => n >= from && n < from + PER_BATCH).every((n, i) => n === inBatch[i]);
    };
    const keysPrefix = [...inputPerKey].filter(([key, input]) => prefixIn(key, input, 0) && prefixIn(key, input, PER_BATCH)).length;
    const histogram = new Map<number, number>();
    for (const count of copies.values()) histogram.set(count, (histogram.get(count) ?? 0) + 1);
    const codes = new Map<string, number>();
    for (const result of results) if (!result.ok) codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1);
    console.log([
      `Kinesis: ${RECORDS} records (2 publishBatch of ${PER_BATCH}), ${KEYS} partition keys, 4 shards, maxAttempts ${MAX_ATTEMPTS}, ${FAIL_RATE * 100} % of records throttled (with the rest of their key in the call), ${LOST_RATE * 100} % of responses lost (seed ${SEED})`,
      `  PutRecords requests ${requests.of('PutRecordsCommand')} (calls ${calls.length}), responses lost ${lost.lost}, record failures injected ${failedInjected}`,
      `  copies per record read back: ${[...histogram].sort(([a], [b]) => a - b).map(([count, n]) => `${count}: ${n}`).join(', ')}; max ${Math.max(...copies.values())}`,
      `  results: ${results.filter((result) => result.ok).length} ok, ${results.filter((result) => !result.ok).length} failed${codes.size ? ` (${[...codes].map(([code, count]) => `${code} ${count}`).join(', ')})` : ''}`,
      `  partition keys whose first copies read back are in input order: ${keysInOrder} of ${inputPerKey.size}; a prefix of their entries in each publishBatch: ${keysPrefix} of ${inputPerKey.size}`,
    ].join('\n'));

    expect(Math.max(...copies.values())).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(keysInOrder).toBe(inputPerKey.size);
    expect(keysPrefix).toBe(inputPerKey.size);
    for (const result of results) if (result.ok) expect(copies.get(result.envelope.id)).toBeGreaterThanOrEqual(1);
    client.destroy();
  });
});
