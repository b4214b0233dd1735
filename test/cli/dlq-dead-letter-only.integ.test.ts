/*
 * `fanout dlq` by `--stack`/`--consumer` for the consumers that own only a dead-letter queue: a
 * stream consumer and a Kafka consumer (Lambda's on-failure records, role `failure-records`) and
 * a RabbitMQ consumer (the runtime's poison messages, role `dead-letter-queue`). No queue's
 * redrive policy names these queues, so the tags alone say they are dead-letter queues. The
 * command's clients talk to a proxy that answers CloudFormation (no emulator runs it) with
 * recorded responses for the constructs' template, and forwards SQS to fauxqs.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_REGION } from '@cdk-fanout/local';
import { findConsumerQueues, queuesOfTemplate } from '@cdk-fanout/runtime/names';
import { createQueue, depth, drainQueue, envelopeBody, envelopeId, send, sqsClient } from '@cdk-fanout/testing';
import { describeStackResourceResponse, getTemplateResponse } from './support/cloudformation';
import { consumersTemplate } from './support/consumers';
import { startProxy, type Proxy } from './support/proxy';
import { fanout } from './support/run';

/*
 * Recorded shapes: the example invocation records the Lambda Developer Guide gives for an SQS
 * on-failure destination of a Kinesis event source mapping ("Retain discarded batch records for a
 * Kinesis Data Streams event source") and of an Amazon MSK / self-managed Kafka one ("Capturing
 * discarded batches", SQS and SNS destination example; one topic partition kept). They say where
 * the failed batch is, not what it held.
 */
const KINESIS_ON_FAILURE = {
  requestContext: {
    requestId: 'c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5',
    functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 1,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2019-11-14T00:38:06.021Z',
  KinesisBatchInfo: {
    shardId: 'shardId-000000000001',
    startSequenceNumber: '49601189658422359378836298521827638475320189012309704722',
    endSequenceNumber: '49601189658422359378836298522902373528957594348623495186',
    approximateArrivalOfFirstRecord: '2019-11-14T00:38:04.835Z',
    approximateArrivalOfLastRecord: '2019-11-14T00:38:05.580Z',
    batchSize: 500,
    streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/mystream',
  },
};
const KAFKA_ON_FAILURE = {
  requestContext: {
    requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:myfunction',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 1,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: '2019-11-14T00:38:06.021Z',
  KafkaBatchInfo: {
    batchSize: 500,
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
    bootstrapServers: '...',
    payloadSize: 2039086,
    recordsInfo: {
      'Topic-0': {
        firstRecordOffset: '49601189658422359378836298521827638475320189012309704722',
        lastRecordOffset: '49601189658422359378836298522902373528957594348623495186',
        firstRecordTimestamp: '2019-11-14T00:38:04.835Z',
        lastRecordTimestamp: '2019-11-14T00:38:05.580Z',
      },
    },
  },
};

const HEADER = 'Lambda\'s on-failure records: batch metadata (shard or partition, sequence number or offset range, the error), not the messages; '
  + 'read those from the stream or topic, from the recorded position, while it still holds them.';

const template = consumersTemplate();
let sqs: SQSClient;
const proxies: Proxy[] = [];
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(async () => {
  sqs.destroy();
  await Promise.all(proxies.map((proxy) => proxy.close()));
});

/** A deployed stack whose `consumer`'s dead-letter queue is `dlqUrl` (a queue in fauxqs that no queue names). */
async function stackWhere(consumer: string, dlqUrl: string): Promise<Proxy> {
  const { deadLetterQueue } = findConsumerQueues(queuesOfTemplate(template), consumer, 'test');
  const proxy = await startProxy(process.env.FANOUT_TEST_FAUXQS_ENDPOINT!, {
    GetTemplate: [getTemplateResponse(template)],
    DescribeStackResource: [describeStackResourceResponse(deadLetterQueue.logicalId, dlqUrl)],
  });
  proxies.push(proxy);
  return proxy;
}

/** `fanout <args> --stack Consumers --consumer <consumer>` against the proxy. */
const run = (proxy: Proxy, consumer: string, args: readonly string[]) =>
  fanout([...args, '--stack', 'Consumers', '--consumer', consumer, '--endpoint', proxy.url, '--region', LOCAL_REGION], { local: false });

const operations = (proxy: Proxy) => proxy.requests.map((request) => request.operation);

describe('fanout dlq inspect of a stream or Kafka consumer: Lambda\'s on-failure records', () => {
  test('no --force: the header says what they are; each record shows where its batch is and why it failed; poison gets its envelope row', async () => {
    const dlq = await createQueue(sqs, 'cli-failure-records');
    await send(sqs, dlq.url, JSON.stringify(KINESIS_ON_FAILURE));
    await send(sqs, dlq.url, envelopeBody('poison-1'), { attributes: { 'fanout.reason': 'schema', 'fanout.error': 'data.amount: expected number' } });
    const proxy = await stackWhere('click-counter', dlq.url);

    const result = await run(proxy, 'ClickCounter', ['dlq', 'inspect']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toMatch(/^STREAM\/TOPIC\s+SHARD\/PARTITION\s+FIRST\s+LAST\s+BATCH\s+FAILURE\s+AGE$/);
    expect(lines[2]).toMatch(new RegExp(`^mystream\\s+shardId-000000000001\\s+${KINESIS_ON_FAILURE.KinesisBatchInfo.startSequenceNumber}\\s+`
      + `${KINESIS_ON_FAILURE.KinesisBatchInfo.endSequenceNumber}\\s+500\\s+RetryAttemptsExhausted: Unhandled\\s+\\d+s$`));
    expect(lines[3]).toBe('');
    expect(lines[4]).toMatch(/^ID\s+TYPE\s+SOURCE\s+REASON\s+ERROR\s+RECEIVES\s+AGE$/);
    expect(lines[5]).toMatch(/^poison-1\s+order\.created\s+order-service\s+schema\s+data\.amount: expected number\s+0\s+\d+s$/);
    expect(lines[6]).toBe(`2 of ~2 message(s) in ${dlq.url}`);
    expect(lines).toHaveLength(7);
    // Found by its tags: SQS is not asked whether a queue names it (none does).
    expect(operations(proxy)).not.toContain('ListDeadLetterSourceQueues');
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 2, inFlight: 0 });
  });

  test('a Kafka consumer\'s record: topic and partition with the offset range; --json keeps every field', async () => {
    const dlq = await createQueue(sqs, 'cli-failure-records-kafka');
    await send(sqs, dlq.url, JSON.stringify(KAFKA_ON_FAILURE));
    const proxy = await stackWhere('payment-audit', dlq.url);

    const table = await run(proxy, 'payment-audit', ['dlq', 'inspect']);
    const json = await run(proxy, 'payment-audit', ['dlq', 'inspect', '--json']);

    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(HEADER);
    const { firstRecordOffset, lastRecordOffset } = KAFKA_ON_FAILURE.KafkaBatchInfo.recordsInfo['Topic-0'];
    expect(lines[2]).toMatch(new RegExp(`^Topic\\s+0\\s+${firstRecordOffset}\\s+${lastRecordOffset}\\s+500\\s+RetryAttemptsExhausted: Unhandled\\s+\\d+s$`));
    expect(lines.at(-1)).toBe(`1 of ~1 message(s) in ${dlq.url}`);
    expect(json.code).toBe(0);
    const output = JSON.parse(json.stdout);
    expect(output).toMatchObject({ queueUrl: dlq.url, deadLetterRole: 'failure-records', approximateMessages: 1 });
    expect(output.messages[0]).toMatchObject({
      onFailure: {
        kind: 'kafka',
        condition: 'RetryAttemptsExhausted',
        functionError: 'Unhandled',
        approximateInvokeCount: 1,
        failedAt: '2019-11-14T00:38:06.021Z',
        functionArn: KAFKA_ON_FAILURE.requestContext.functionArn,
        eventSourceArn: KAFKA_ON_FAILURE.KafkaBatchInfo.eventSourceArn,
        batchSize: 500,
        ranges: [{ streamOrTopic: 'Topic', shardOrPartition: '0', first: firstRecordOffset, last: lastRecordOffset, firstAt: '2019-11-14T00:38:04.835Z', lastAt: '2019-11-14T00:38:05.580Z' }],
      },
      body: JSON.stringify(KAFKA_ON_FAILURE),
    });
    expect(output.messages[0].id).toBeUndefined();
  });

  test('--queue-url names nothing about the queue: the check stays, and --force still reads it', async () => {
    const dlq = await createQueue(sqs, 'cli-failure-records-url');
    await send(sqs, dlq.url, JSON.stringify(KINESIS_ON_FAILURE));

    const refused = await fanout(['dlq', 'inspect', '--queue-url', dlq.url]);
    const forced = await fanout(['dlq', 'inspect', '--queue-url', dlq.url, '--force']);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not a dead-letter queue (no queue\'s redrive policy names it)');
    expect(forced.code).toBe(0);
    // What the body is shows whichever way the queue was named.
    expect(forced.stdout.split('\n')[0]).toBe(HEADER);
  });
});

describe('fanout dlq purge of a consumer without a queue', () => {
  test('a RabbitMQ consumer\'s dead-letter queue is purged without --force', async () => {
    const dlq = await createQueue(sqs, 'cli-rabbit-purge');
    await send(sqs, dlq.url, envelopeBody('r-1'));
    const proxy = await stackWhere('billing', dlq.url);

    const result = await run(proxy, 'billing', ['dlq', 'purge', '--yes']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Purged ${dlq.url}`);
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0 });
  });
});

describe('fanout dlq redrive of a consumer without a queue', () => {
  test('Lambda\'s on-failure records: refused in one line saying why and what to do, --to or not; nothing moves', async () => {
    const dlq = await createQueue(sqs, 'cli-failure-records-redrive');
    const elsewhere = await createQueue(sqs, 'cli-failure-records-elsewhere');
    await send(sqs, dlq.url, JSON.stringify(KINESIS_ON_FAILURE));
    const proxy = await stackWhere('click-counter', dlq.url);

    const refused = await run(proxy, 'click-counter', ['dlq', 'redrive']);
    const refusedTo = await run(proxy, 'click-counter', ['dlq', 'redrive', '--to', elsewhere.url]);

    const line = `fanout dlq redrive: refusing to redrive ${dlq.url}: it holds Lambda's on-failure records of consumer "click-counter" (where its failed batches are `
      + 'in the stream or topic), not the messages, and the consumer has no queue; fix the cause, re-read the stream or topic from the recorded position '
      + '(fanout dlq inspect shows it), then fanout dlq purge\n';
    expect(refused).toEqual({ code: 1, stdout: '', stderr: line });
    expect(refusedTo).toEqual({ code: 1, stdout: '', stderr: line });
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 1, inFlight: 0 });
    expect(await depth(sqs, elsewhere.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('RabbitMQ poison: refused in one line without --to; with --to URL, moved there', async () => {
    const dlq = await createQueue(sqs, 'cli-rabbit-redrive');
    const republish = await createQueue(sqs, 'cli-rabbit-republish');
    await send(sqs, dlq.url, envelopeBody('r-1'));
    await send(sqs, dlq.url, envelopeBody('r-2'));
    const proxy = await stackWhere('billing', dlq.url);

    const refused = await run(proxy, 'Billing', ['dlq', 'redrive']);
    const moved = await run(proxy, 'Billing', ['dlq', 'redrive', '--to', republish.url, '--message-by-message']);

    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `fanout dlq redrive: refusing to redrive ${dlq.url}: consumer "Billing" has no SQS queue to return its messages to (it reads a RabbitMQ queue; `
        + 'these are the poison messages its runtime sent); fix the cause, then republish them with --to URL to a queue of your choice, or through the broker\n',
    });
    expect(moved).toMatchObject({ code: 0, stderr: '' });
    expect((await drainQueue(sqs, republish.url)).map((message) => envelopeId(message.Body)).sort()).toEqual(['r-1', 'r-2']);
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0 });
  });
});
