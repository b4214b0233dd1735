/* The app of the local-deployment RabbitMQ tests: a RabbitMqConsumer of an Amazon MQ broker in the app, its handler the end-to-end one (a counter per envelope, committed with ctx.transact). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as mq from 'aws-cdk-lib/aws-amazonmq';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { bundledHandler } from '../../examples/orders/bundle';
import { IdempotencyTable, RabbitMqBroker, RabbitMqConsumer } from '../../lib';

/** Synthesizes the app into a temporary directory; the consumer reads the broker queue `consumerName`. */
export function synthRabbitMqApp(consumerName: string): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-rabbitmq-local-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'E2eRabbit');
  const broker = new mq.CfnBroker(stack, 'Broker', {
    brokerName: 'orders', engineType: 'RABBITMQ', engineVersion: '3.13', hostInstanceType: 'mq.m5.large',
    deploymentMode: 'SINGLE_INSTANCE', publiclyAccessible: true, autoMinorVersionUpgrade: true, users: [{ username: 'admin', password: 'not-used-locally' }],
  });
  const idempotency = new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY });
  const effects = new dynamodb.TableV2(stack, 'Effects', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
  const handler = new lambda.Function(stack, 'BillingHandler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: bundledHandler(path.join(__dirname, '..', 'local', 'app', 'effects-handler.ts')),
    timeout: Duration.seconds(10),
    environment: { EFFECTS_TABLE: effects.tableName, HANDLER_MODE: 'transact' },
  });
  new RabbitMqConsumer(stack, 'Billing', {
    consumerName,
    broker: RabbitMqBroker.fromCfnBroker(broker),
    secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'BrokerUser', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:orders-broker-lambda-AbCdEf'),
    handler,
    idempotencyTable: idempotency,
    batchSize: 10,
  });
  app.synth();
  return outdir;
}
