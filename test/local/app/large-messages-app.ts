import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { bundledHandler } from '../../../examples/orders/bundle';
import { FanOutTopic, IdempotencyTable, PayloadBucket } from '../../../lib';

/** The environment of the large-message app: its filters, stamps and key prefixes. */
export const LARGE_MESSAGES_ENVIRONMENT = 'e2e';

/**
 * A fan-out in environment `e2e` with a payload bucket: `Orders` with two recording consumers,
 * Billing and Audit (Audit without raw delivery), and a Relay consumer whose handler republishes
 * each order to `Receipts` (a second fan-out on the same bucket) as a producer set up by
 * `configureProducer`; Receipts' Ledger consumer records what it got.
 */
export function synthLargeMessagesApp(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-large-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Large');
  const environment = LARGE_MESSAGES_ENVIRONMENT;
  const idempotency = new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY, environment });
  const digests = new dynamodb.TableV2(stack, 'Digests', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
  const payloads = new PayloadBucket(stack, 'Payloads', { removalPolicy: RemovalPolicy.DESTROY, environment });
  const orders = new FanOutTopic(stack, 'Orders', { environment, payloadBucket: payloads });
  const receipts = new FanOutTopic(stack, 'Receipts', { environment, payloadBucket: payloads });
  const code = bundledHandler(path.join(__dirname, 'payload-digest-handler.ts'));
  const handler = (id: string, extra: Record<string, string> = {}) => {
    const fn = new lambda.Function(stack, `${id}Handler`, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code,
      timeout: Duration.seconds(10),
      memorySize: 512,
      environment: { DIGESTS_TABLE: digests.tableName, ...extra },
    });
    digests.grantReadWriteData(fn);
    return fn;
  };
  const common = { idempotencyTable: idempotency, visibilityTimeout: Duration.seconds(10), maxReceiveCount: 2 };
  orders.addConsumer('Billing', { handler: handler('Billing'), ...common });
  orders.addConsumer('Audit', { handler: handler('Audit'), rawMessageDelivery: false, ...common });
  const relay = handler('Relay', { RELAY_TOPIC_ARN: receipts.topic.topicArn });
  orders.addConsumer('Relay', { handler: relay, ...common });
  receipts.configureProducer(relay);
  receipts.addConsumer('Ledger', { handler: handler('Ledger'), ...common });
  app.synth();
  return outdir;
}
