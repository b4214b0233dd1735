// Runs each bundled consumer given on the command line against the emulators of the installed
// @cdk-fanout/local: a batch of one record whose body is not JSON, one with an invalid envelope
// and one valid order. Asserts the handler returns { batchItemFailures: [] }, the two poison
// records are in the DLQ with their `fanout.reason`, and the valid one is COMPLETED in the
// idempotency table. Then, on the same emulators, claim checks and environments through the
// published packages: the installed Publisher (environment dev, a payload bucket on fauxqs's S3)
// publishes two 300 KiB orders and one stamped prod to a topic with a raw subscription; the object
// of one is deleted; each `--claim-check` bundle (environment dev) reads the queue's messages as
// Lambda hands them over: the kept order reaches its handler whole and once (again on
// redelivery: a duplicate), the deleted one is poison `payload-missing` (pointer intact, shown as
// missing by `fanout dlq inspect`), the prod one `wrong-environment`.
// Usage: node poison-check.mjs [--claim-check <bundle>]... <bundle>...
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readPointer } from '@cdk-fanout/runtime/envelope';
import { Publisher } from '@cdk-fanout/runtime/publisher';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, startFauxqs } from '@cdk-fanout/local';

const args = process.argv.slice(2);
const claimCheckBundles = [];
for (let at = args.indexOf('--claim-check'); at !== -1; at = args.indexOf('--claim-check')) claimCheckBundles.push(args.splice(at, 2)[1]);
const bundles = args;
if (bundles.length === 0 || claimCheckBundles.includes(undefined)) throw new Error('usage: node poison-check.mjs [--claim-check <bundle>]... <bundle>...');
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

  const baseEnv = {
    PATH: process.env.PATH,
    FANOUT_DLQ_URL: dlqUrl,
    FANOUT_IDEMPOTENCY_TABLE: TABLE,
    AWS_REGION: LOCAL_REGION,
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  for (const bundle of bundles) {
    const started = performance.now();
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
    await invoke(bundle, `event-${name}.json`, event, { ...baseEnv, FANOUT_CONSUMER_NAME: 'billing' });

    const dead = await receiveAll(sqs, dlqUrl, 2, 15_000);
    const reasons = Object.fromEntries(dead.map((m) => [m.Body, m.MessageAttributes?.['fanout.reason']?.StringValue]));
    assert.equal(reasons['this is not JSON {'], 'malformed-json', `${name}: DLQ reasons ${JSON.stringify(reasons)}`);
    assert.equal(Object.values(reasons).filter((r) => r === 'invalid-envelope').length, 1, `${name}: DLQ reasons ${JSON.stringify(reasons)}`);
    for (const m of dead) assert.ok(m.MessageAttributes?.['fanout.error']?.StringValue, `${name}: DLQ message without fanout.error`);

    const { Item } = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `billing#${validId}` } }, ConsistentRead: true }));
    assert.equal(Item?.status?.S, 'COMPLETED', `${name}: idempotency record of the valid envelope: ${JSON.stringify(Item)}`);
    console.log(`  ${name}: { batchItemFailures: [] }; DLQ: ${reasonsOf(dead)}; valid envelope COMPLETED (${seconds(started)})`);
  }
  if (claimCheckBundles.length > 0) await claimCheckRoundTrips(claimCheckBundles, { fauxqs, sqs, ddb, dlqUrl, baseEnv, clientConfig });
  sqs.destroy();
  ddb.destroy();
} finally {
  await Promise.all(emulators.map((e) => e.stop()));
}

/**
 * Claim checks and environments, end to end through the published packages (see the top). The
 * orders are 300 KiB: over the publisher's 256 KiB threshold, so their bodies go through S3.
 */
async function claimCheckRoundTrips(bundles, { fauxqs, sqs, ddb, dlqUrl, baseEnv, clientConfig }) {
  const s3 = new S3Client({ ...clientConfig, endpoint: fauxqs.endpoint, forcePathStyle: true });
  const sns = new SNSClient({ ...clientConfig, endpoint: fauxqs.endpoint });
  const bucket = 'install-test-payloads';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: 'large-orders' }));
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'large-orders' }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
  const publisher = (environment) => new Publisher({ topicArn, source: 'install-test', environment, client: sns, largePayloads: { bucket, client: s3 } });
  for (const bundle of bundles) await claimCheckRoundTrip(bundle, { s3, sqs, ddb, dlqUrl, baseEnv, fauxqs, bucket, queueUrl, publisher });
  s3.destroy();
  sns.destroy();
}

/** One bundle's round trip: two 300 KiB orders (one object deleted) and a prod order, through the topic to the bundle. */
async function claimCheckRoundTrip(bundle, { s3, sqs, ddb, dlqUrl, baseEnv, fauxqs, bucket, queueUrl, publisher }) {
  const started = performance.now();
  const name = path.basename(bundle);
  const order = (orderId) => ({ orderId, lines: Array.from({ length: 300 }, (_, i) => `${orderId} line ${i} `.padEnd(1024, 'x')) });
  const kept = order(`o-kept-${name}`);
  const dev = publisher('dev');
  const keptId = (await dev.publish('order.created', kept)).envelope.id;
  await dev.publish('order.created', order('o-deleted'));
  await publisher('prod').publish('order.created', { orderId: 'o-prod', lines: [] });

  const messages = await receiveAll(sqs, queueUrl, 3, 15_000);
  const pointers = messages.map((m) => readPointer(m.Body));
  assert.equal(pointers.filter(Boolean).length, 2, `the two 300 KiB orders arrive as claim checks: ${messages.map((m) => m.Body.slice(0, 120)).join(' | ')}`);
  for (const [i, m] of messages.entries()) {
    if (!pointers[i]) continue;
    assert.equal(pointers[i].bucket, bucket);
    assert.match(pointers[i].key, /^dev\/order\.created\//, 'offloaded bodies are keyed by environment and type');
    assert.ok(Number(m.MessageAttributes?.ExtendedPayloadSize?.StringValue) > 300 * 1024, `ExtendedPayloadSize: ${JSON.stringify(m.MessageAttributes)}`);
    assert.equal(m.MessageAttributes?.environment?.StringValue, 'dev');
  }
  // The second offloaded order's object goes (as the bucket's expiration would take it).
  const [keptPointer, deletedPointer] = await orderPointers(s3, pointers.filter(Boolean), keptId);
  await s3.send(new DeleteObjectCommand({ Bucket: deletedPointer.bucket, Key: deletedPointer.key }));

  const env = { ...baseEnv, FANOUT_CONSUMER_NAME: 'large-orders', FANOUT_ENVIRONMENT: 'dev', AWS_ENDPOINT_URL_S3: fauxqs.endpoint, AWS_ENDPOINT_URL_SNS: fauxqs.endpoint };
  const records = messages.map((m) => record(m.MessageId, m.Body, m.MessageAttributes));
  const first = await invoke(bundle, `event-${name}.json`, { Records: records }, env);
  const keptRecord = records[messages.findIndex((m, i) => pointers[i]?.key === keptPointer.key)];
  const again = await invoke(bundle, `event-${name}-again.json`, { Records: [keptRecord] }, env);

  const received = [first.output, again.output].flatMap((output) => output.split('\n')).filter((l) => l.includes('"large order received"')).map((l) => JSON.parse(l));
  assert.equal(received.length, 1, `the kept order reaches the handler exactly once over both invocations; handler output:\n${first.output}\n${again.output}`);
  assert.equal(received[0].envelopeId, keptId);
  assert.equal(received[0].sha256, createHash('sha256').update(JSON.stringify(kept)).digest('hex'), 'the handler got the published order, byte for byte');
  const { Item } = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `dev/large-orders#${keptId}` } }, ConsistentRead: true }));
  assert.equal(Item?.status?.S, 'COMPLETED', `idempotency record dev/large-orders#${keptId}: ${JSON.stringify(Item)}`);

  // What on-call sees: the installed CLI lists the dead claim check with its object missing.
  const inspect = await run(path.resolve('node_modules/.bin/fanout'), ['dlq', 'inspect', '--queue-url', dlqUrl, '--force', '--json', '--endpoint', fauxqs.endpoint, '--region', LOCAL_REGION],
    { ...baseEnv, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, 30_000);
  const listed = JSON.parse(inspect.stdout).messages;
  const missing = listed.find((m) => m.reason === 'payload-missing');
  assert.deepEqual(missing?.payload, { bucket, key: deletedPointer.key, missing: true }, `fanout dlq inspect --json: ${inspect.stdout}`);

  const dead = await receiveAll(sqs, dlqUrl, 2, 15_000);
  const byReason = Object.fromEntries(dead.map((m) => [m.MessageAttributes?.['fanout.reason']?.StringValue, m]));
  assert.deepEqual(readPointer(byReason['payload-missing']?.Body), deletedPointer, `DLQ: ${reasonsOf(dead)}; the payload-missing message keeps its pointer`);
  assert.match(byReason['payload-missing'].MessageAttributes['fanout.error'].StringValue, /does not exist/);
  assert.match(byReason['wrong-environment']?.MessageAttributes?.['fanout.error']?.StringValue ?? '', /"prod"/, `DLQ: ${reasonsOf(dead)}`);
  console.log(`  ${name} (environment dev): 300 KiB order offloaded to s3://${bucket}/${keptPointer.key.replace(/[^/]+$/, '…')} and read back once (a redelivery is a duplicate); `
    + `deleted object -> DLQ payload-missing (fanout dlq inspect: missing); prod envelope -> DLQ wrong-environment (${seconds(started)})`);
}

/** The two pointers, the kept order's first: its object is the one that holds the kept envelope. */
async function orderPointers(s3, pointers, keptId) {
  const bodies = await Promise.all(pointers.map(async (p) => (await s3.send(new GetObjectCommand({ Bucket: p.bucket, Key: p.key }))).Body.transformToString()));
  for (const body of bodies) assert.ok(body.length > 300 * 1024, `an offloaded object holds ${body.length} bytes`);
  const kept = bodies.findIndex((body) => JSON.parse(body).id === keptId);
  assert.notEqual(kept, -1, 'no offloaded object holds the kept envelope');
  return [pointers[kept], pointers[1 - kept]];
}

/** Runs one bundle's handler on an SQS event in a fresh Node process; asserts it failed no record. */
async function invoke(bundle, eventName, event, env) {
  const eventFile = path.resolve(eventName);
  writeFileSync(eventFile, JSON.stringify(event));
  const { stdout, stderr } = await run(process.execPath, [path.resolve('invoke-bundle.mjs'), bundle, eventFile], env, 30_000);
  const output = stdout + stderr;
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `${path.basename(bundle)}: the handler printed no result; output:\n${output}`);
  assert.deepEqual(JSON.parse(line.slice('RESULT '.length)), { batchItemFailures: [] }, `${path.basename(bundle)}: handler result; its output:\n${output}`);
  return { output };
}

/** Lambda's SQS record for a body and, optionally, SQS message attributes as ReceiveMessage returns them. */
function record(messageId, body, messageAttributes = {}) {
  const now = String(Date.now());
  return {
    messageId, receiptHandle: `rh-${messageId}`, body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'install-test', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: Object.fromEntries(Object.entries(messageAttributes).map(([attribute, value]) => [attribute, {
      stringValue: value.StringValue, stringListValues: [], binaryListValues: [], dataType: value.DataType,
    }])),
    md5OfBody: '', eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:billing', awsRegion: LOCAL_REGION,
  };
}

function reasonsOf(messages) {
  return messages.map((m) => m.MessageAttributes?.['fanout.reason']?.StringValue).sort().join(', ');
}

function seconds(since) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
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
    execFile(file, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const what = [file, ...args].map((a) => path.basename(a)).join(' ');
      if (error) reject(new Error(`${what} failed (${error.killed ? `killed after ${timeoutMs} ms` : `exit ${error.code}`}):\n${stdout}${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}
