import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { FanOutDashboard, FanOutTopic, IdempotencyTable, KafkaCluster, KafkaConsumer, KafkaDeadLetter, PayloadBucket, RabbitMqBroker, RabbitMqConsumer, StreamConsumer, WorkQueue } from '../../lib';

const BASIC_EXECUTION_ROLE = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
const MSK_EXECUTION_ROLE = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole]';

/** A handler as an app would write it; its role's managed policies are the app's choice, acknowledged here. */
function handler(scope: Construct, id: string, acknowledgements: Record<string, string> = {}): lambda.Function {
  const fn = new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout: Duration.seconds(30),
  });
  Validations.of(fn).acknowledge({ id: BASIC_EXECUTION_ROLE, reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs; AWS maintains it.' });
  for (const [id, reason] of Object.entries(acknowledgements)) {
    Validations.of(fn).acknowledge({ id, reason });
  }
  return fn;
}

/** The broker user's credentials, as an app would keep them: rotation is the app's choice, acknowledged here. */
function brokerUser(scope: Construct): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'BrokerUser', { removalPolicy: RemovalPolicy.DESTROY });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'The broker user\'s password is rotated with the broker, outside this test stack.' });
  return secret;
}

/**
 * Synthesizes a stack built by `build` (with a customer key and an encrypted ops topic, as an app
 * would have) under cdk-nag's AwsSolutions pack, and returns the rules it reported.
 */
function nagViolations(stackId: string, build: (stack: Stack, key: kms.Key, ops: sns.Topic) => void): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `fanout-nag-${stackId.toLowerCase()}-`));
  try {
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, stackId, { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    build(stack, key, new sns.Topic(stack, 'Ops', { masterKey: key, enforceSSL: true }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    return report.pluginReports.flatMap((p: { violations: Array<{ ruleName: string }> }) => p.violations.map((v) => v.ruleName));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The four consumers without a topic, each with a handler, an idempotency table and a customer
 * key, under cdk-nag's AwsSolutions pack: nothing of theirs is flagged. Acknowledged here: the
 * functions' managed policies, which the app (and, for MSK, aws-cdk-lib's ManagedKafkaEventSource)
 * attaches, and the broker secret's rotation (the app's). The constructs acknowledge
 * AwsSolutions-SQS3 on their DLQs without a source queue (cdk-nag does not count an event source
 * mapping's on-failure destination or a handler's sends as DLQ use) and AwsSolutions-IAM5 on the
 * RabbitMQ consumer's network interface policy (IAM takes those actions on `*` only).
 */
test('WorkQueue, StreamConsumer, KafkaConsumer and RabbitMqConsumer pass cdk-nag AwsSolutions with no unsuppressed finding', () => {
  expect(nagViolations('Consumers', (stack, key, ops) => {
    const table = new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY });
    const stream = new kinesis.Stream(stack, 'Clicks', { encryption: kinesis.StreamEncryption.MANAGED });

    const invoices = new WorkQueue(stack, 'Invoices', { handler: handler(stack, 'InvoicesFn'), idempotencyTable: table, encryptionKey: key, alarmTopic: ops });
    const clicks = new StreamConsumer(stack, 'ClickCounter', { stream, handler: handler(stack, 'ClicksFn'), idempotencyTable: table, encryptionKey: key, alarmTopic: ops });
    const audit = new KafkaConsumer(stack, 'PaymentAudit', {
      cluster: KafkaCluster.msk({ clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/abcd1234-abcd-cafe-abab-9876543210ab-4' }),
      topic: 'payments',
      handler: handler(stack, 'AuditFn', { [MSK_EXECUTION_ROLE]: 'aws-cdk-lib\'s ManagedKafkaEventSource attaches it: Lambda\'s pollers need its MSK and VPC network interface actions.' }),
      deadLetter: KafkaDeadLetter.SQS_QUEUE,
      idempotencyTable: table,
      encryptionKey: key,
      alarmTopic: ops,
    });
    const billing = new RabbitMqConsumer(stack, 'Billing', {
      broker: RabbitMqBroker.fromBrokerArn('arn:aws:mq:eu-west-1:123456789012:broker:orders:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9'),
      secret: brokerUser(stack),
      handler: handler(stack, 'BillingFn'),
      idempotencyTable: table,
      encryptionKey: key,
      alarmTopic: ops,
    });
    const dashboard = new FanOutDashboard(stack, 'Dashboard');
    dashboard.addWorkQueue(invoices);
    dashboard.addStreamConsumer(clicks);
    dashboard.addKafkaConsumer(audit);
    dashboard.addRabbitMqConsumer(billing);
  })).toEqual([]);
});

/**
 * A fan-out with an environment, a payload bucket and a producer under cdk-nag's AwsSolutions
 * pack: the constructs acknowledge AwsSolutions-S1 on the bucket when no access-log bucket is
 * given, AwsSolutions-IAM5 on the grantees for the bucket's objects only (`<bucket>/*`: a key per
 * payload), and AwsSolutions-SQS3 on the misrouted-messages queue (a dead-letter queue of the topic).
 */
test('a fan-out with an environment and a payload bucket passes cdk-nag AwsSolutions with no unsuppressed finding', () => {
  expect(nagViolations('Payloads', (stack, _key, ops) => {
    const table = new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY, environment: 'prod' });
    const payloads = new PayloadBucket(stack, 'Payloads', { environment: 'prod', removalPolicy: RemovalPolicy.DESTROY });
    const orders = new FanOutTopic(stack, 'Orders', { topicName: 'orders', environment: 'prod', payloadBucket: payloads, alarmTopic: ops, maxMessageSizeBytes: 1_048_576 });
    orders.addConsumer('Billing', { handler: handler(stack, 'BillingFn'), idempotencyTable: table });
    orders.addConsumer('Analytics');
    orders.configureProducer(handler(stack, 'ProducerFn'));
  })).toEqual([]);
});
