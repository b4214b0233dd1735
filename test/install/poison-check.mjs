// Runs each bundled consumer given on the command line against the emulators of the installed
// @cdk-fanout/local: a batch of one record whose body is not JSON, one with an invalid envelope
// and one valid order. Asserts the handler returns { batchItemFailures: [] }, the two poison
// records are in the DLQ with their `fanout.reason`, and the valid one is COMPLETED in the
// idempotency table. Usage: node poison-check.mjs <bundle>...
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, startFauxqs } from '@cdk-fanout/local';

const bundles = process.argv.slice(2);
if (bundles.length === 0) throw new Error('usage: node poison-check.mjs <bundle>...');
const TABLE = 'install-test-idempotency';

const emulators = [];
// Killed by the script's timeout or Ctrl-C: stop DynamoDB Local (a Java child process) first.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`poison-check: ${signal}, stopping the emulators`);
    Promise.allSettled(emulators.map((e) => e.stop())).finally(() => process.exit(1));
  });
}
try {
  const [fauxqs, dynamodb] = await Promise.all([startFauxqs(), startDynamoDbLocal({ startTimeoutMs: 60_000 })]);
  emulators.push(fauxqs, dynamodb);
  console.log(`  fauxqs ${fauxqs.endpoint}, DynamoDB Local ${dynamodb.endpoint}`);
  const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 };
  const sqs = new SQSClient({ ...clientConfig, endpoint: fauxqs.endpoint });
  const ddb = new DynamoDBClient({ ...clientConfig, endpoint: dynamodb.endpoint });
  const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'billing-dlq' }));
  assert.ok(dlqUrl, 'CreateQueue returned no QueueUrl');
  await ddb.send(new CreateTableCommand({
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));

  for (const bundle of bundles) {
    const name = path.basename(bundle);
    const validId = `valid-${name}`;
    const event = {
      Records: [
        record(`${name}-not-json`, 'this is not JSON {'),
        record(`${name}-bad-envelope`, JSON.stringify({ id: '', type: 'Not A Type', version: 'one', data: {} })),
        record(`${name}-valid`, JSON.stringify({
          id: validId, type: 'order.created', version: '1', timestamp: new Date().toISOString(),
          source: 'install-test', data: { orderId: 'o-1', amount: 12.5, currency: 'EUR' },
        })),
      ],
    };
    const eventFile = path.resolve(`event-${name}.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    const env = {
      PATH: process.env.PATH,
      FANOUT_DLQ_URL: dlqUrl,
      FANOUT_CONSUMER_NAME: 'billing',
      FANOUT_IDEMPOTENCY_TABLE: TABLE,
      AWS_REGION: LOCAL_REGION,
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const args = [path.resolve('invoke-bundle.mjs'), bundle, eventFile];
    const output = await run(process.execPath, args, env, 30_000);
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, `${name}: the handler printed no result; output:\n${output}`);
    assert.deepEqual(JSON.parse(line.slice('RESULT '.length)), { batchItemFailures: [] }, `${name}: handler result; its output:\n${output}`);

    const dead = await receiveAll(sqs, dlqUrl, 2, 15_000);
    const reasons = Object.fromEntries(dead.map((m) => [m.Body, m.MessageAttributes?.['fanout.reason']?.StringValue]));
    assert.equal(reasons['this is not JSON {'], 'malformed-json', `${name}: DLQ reasons ${JSON.stringify(reasons)}`);
    assert.equal(Object.values(reasons).filter((r) => r === 'invalid-envelope').length, 1, `${name}: DLQ reasons ${JSON.stringify(reasons)}`);
    for (const m of dead) assert.ok(m.MessageAttributes?.['fanout.error']?.StringValue, `${name}: DLQ message without fanout.error`);

    const { Item } = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `billing#${validId}` } }, ConsistentRead: true }));
    assert.equal(Item?.status?.S, 'COMPLETED', `${name}: idempotency record of the valid envelope: ${JSON.stringify(Item)}`);
    console.log(`  ${name}: { batchItemFailures: [] }; DLQ: ${dead.map((m) => m.MessageAttributes['fanout.reason'].StringValue).sort().join(', ')}; valid envelope COMPLETED`);
  }
  sqs.destroy();
  ddb.destroy();
} finally {
  await Promise.all(emulators.map((e) => e.stop()));
}

function record(messageId, body) {
  const now = String(Date.now());
  return {
    messageId, receiptHandle: `rh-${messageId}`, body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'install-test', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:billing', awsRegion: LOCAL_REGION,
  };
}

/** Receives (and deletes) until `count` messages arrived, or fails after `timeoutMs`. */
async function receiveAll(sqs, queueUrl, count, timeoutMs) {
  const got = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count) {
    if (Date.now() > deadline) throw new Error(`the DLQ held ${got.length} of ${count} messages after ${timeoutMs} ms: ${JSON.stringify(got)}`);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'],
    }));
    for (const m of Messages) {
      got.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

function run(file, args, env, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(args[2])} ${path.basename(args[3])} failed (${error.killed ? `killed after ${timeoutMs} ms` : `exit ${error.code}`}):\n${stdout}${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}
