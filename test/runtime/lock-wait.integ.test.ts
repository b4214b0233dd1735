/*
 * A record whose idempotency key is claimed by an invocation that crashed or timed out. Kinesis,
 * Kafka and RabbitMQ give a lane to one invocation at a time and retry at once, so the consumer
 * waits the lock out and processes the record instead of spending the source's retries on it; SQS
 * redelivers only after the visibility timeout, so there the record is reported failed at once.
 * DynamoDB Local.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createConsumer } from '@cdk-fanout/runtime';
import { captureLogs, createIdempotencyTable, dynamoDbClient, envelope, kinesisEvent, kinesisStreamRecord, lambdaContext, sqsEvent, sqsRecord } from '@cdk-fanout/testing';
import { payloadHash } from '../../runtime/src/payload-hash';
import { IDEMPOTENCY_MODES } from './support/idempotency-modes';

const CONSUMER = 'ledger';
let client: DynamoDBClient;
let table: string;

beforeAll(async () => {
  client = dynamoDbClient();
  table = await createIdempotencyTable(client);
});
afterAll(() => client.destroy());

/** The claim a crashed invocation left: IN_PROGRESS under its token, locked until `lockUntilMs`. */
async function abandonedClaim(envelopeId: string, payloadHash: string, lockUntilMs: number): Promise<void> {
  await client.send(new PutItemCommand({
    TableName: table,
    Item: {
      pk: { S: `${CONSUMER}#${envelopeId}` },
      status: { S: 'IN_PROGRESS' },
      lockUntil: { N: String(lockUntilMs) },
      expiresAt: { N: String(Math.ceil(lockUntilMs / 1000) + 3600) },
      claimToken: { S: 'crashed-invocation' },
      payloadHash: { S: payloadHash },
    },
  }));
}

describe.each(IDEMPOTENCY_MODES)('idempotency %s', (_mode, modeOptions) => {
  function consumer() {
    const applied: string[] = [];
    const logs = captureLogs();
    const handler = createConsumer({
      consumerName: CONSUMER,
      idempotency: { tableName: table, client, ...modeOptions },
      logger: logs.logger,
      handlers: { 'ledger.entry': { handle: (_data, ctx) => { applied.push(ctx.envelope.id); } } },
    });
    return { handler, applied, logs };
  }
  const entry = () => envelope('ledger.entry', { amount: 5 });

  test('Kinesis: a lock ending within the invocation is waited out, then the record is processed once', async () => {
    const message = entry();
    await abandonedClaim(message.id, payloadHash(message), Date.now() + 1500);
    const { handler, applied, logs } = consumer();

    const startedAt = Date.now();
    const response = await handler(kinesisEvent(kinesisStreamRecord(message, { sequenceNumber: 1 })), lambdaContext(60_000));

    expect(response.batchItemFailures).toEqual([]);
    expect(applied).toEqual([message.id]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1500);
    expect(logs.lines.find((line) => /waiting for its lock to end/.test(line.message))?.fields).toMatchObject({ waitMs: expect.any(Number) });
  });

  test('Kinesis: a lock ending after the time guard is waited for until the guard, then the record is reported', async () => {
    const message = entry();
    await abandonedClaim(message.id, payloadHash(message), Date.now() + 120_000);
    const { handler, applied } = consumer();
    const deadline = Date.now() + 3000;

    const startedAt = Date.now();
    const response = await handler(kinesisEvent(kinesisStreamRecord(message, { sequenceNumber: 7 })), { getRemainingTimeInMillis: () => deadline - Date.now() });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '7' }]);
    expect(applied).toEqual([]);
    // The default time guard (minRemainingTimeMs) is 2 s: about 1 s of the 3 s is waited.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(800);
    expect(Date.now() - startedAt).toBeLessThan(2500);
  });

  test('SQS: the same lock is not waited for; the visibility timeout outlasts it', async () => {
    const message = entry();
    await abandonedClaim(message.id, payloadHash(message), Date.now() + 1500);
    const { handler, applied } = consumer();
    const record = sqsRecord(message);

    const startedAt = Date.now();
    const response = await handler(sqsEvent(record), lambdaContext(60_000));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(applied).toEqual([]);
    expect(Date.now() - startedAt).toBeLessThan(1500);
  });
});
