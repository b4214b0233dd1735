import { Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
// In your own app: import { ... } from 'cdk-fanout';
import { FanOutDashboard, FanOutTopic, IdempotencyTable, PayloadBucket, WorkQueue } from '../../lib';
import { bundledHandler } from './bundle';
import { LEDGER_TABLE_ENV, STOCK_TABLE_ENV } from './events';

/**
 * The sample fan-out: an `orders` topic with three consumers, and a work queue. Orders too large
 * for SNS go through the payload bucket (a claim check): producers granted with
 * `orders.grantPublish` write it, the handlers read it.
 * - billing: a Lambda handler in transactional idempotent mode, writing to a ledger table;
 * - inventory: a Lambda handler in plain idempotent mode, receiving only `order.created`;
 * - analytics: a queue only, for a service that polls it;
 * - refunds: a work queue (point to point, no topic) that support tooling sends refund requests
 *   to and a refunds service polls; same DLQ, alarms and tags as a consumer's queues.
 */
export class OrdersFanOutStack extends Stack {
  public readonly orders: FanOutTopic;
  public readonly refunds: WorkQueue;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const opsTopic = alarmTopic(this);
    const idempotency = new IdempotencyTable(this, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY });
    const ledger = sampleTable(this, 'Ledger');
    const stock = sampleTable(this, 'Stock');

    const payloads = new PayloadBucket(this, 'Payloads', { removalPolicy: RemovalPolicy.DESTROY });
    this.orders = new FanOutTopic(this, 'Orders', { topicName: 'orders', alarmTopic: opsTopic, payloadBucket: payloads });

    const billing = handler(this, 'BillingHandler', 'billing.ts', { [LEDGER_TABLE_ENV]: ledger.tableName });
    ledger.grant(billing, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem');
    this.orders.addConsumer('Billing', {
      handler: billing,
      eventTypes: ['order.created', 'order.cancelled'],
      idempotencyTable: idempotency,
      maxConcurrency: 5,
    });

    const inventory = handler(this, 'InventoryHandler', 'inventory.ts', { [STOCK_TABLE_ENV]: stock.tableName });
    stock.grant(inventory, 'dynamodb:UpdateItem');
    this.orders.addConsumer('Inventory', {
      handler: inventory,
      eventTypes: ['order.created'],
      idempotencyTable: idempotency,
    });

    this.orders.addConsumer('Analytics', { maxMessageAge: Duration.hours(1) });

    this.refunds = new WorkQueue(this, 'Refunds', { alarmTopic: opsTopic, maxMessageAge: Duration.hours(1) });

    const dashboard = new FanOutDashboard(this, 'Dashboard', { fanOut: this.orders });
    dashboard.addWorkQueue(this.refunds);
  }
}

function handler(scope: Construct, id: string, file: string, environment: Record<string, string>): lambda.Function {
  const fn = new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: bundledHandler(`${__dirname}/handlers/${file}`),
    timeout: Duration.seconds(30),
    memorySize: 512,
    environment,
    loggingFormat: lambda.LoggingFormat.JSON,
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs; AWS maintains it.',
  });
  return fn;
}

function sampleTable(scope: Construct, id: string): dynamodb.TableV2 {
  return new dynamodb.TableV2(scope, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

/**
 * The on-call topic. CloudWatch can publish alarms to an encrypted topic only with a
 * customer-managed key; `FanOutTopic` lets `cloudwatch.amazonaws.com` use it, for this account's
 * alarms only.
 */
function alarmTopic(scope: Construct): sns.Topic {
  const key = new kms.Key(scope, 'OpsKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
  return new sns.Topic(scope, 'Ops', { masterKey: key, enforceSSL: true });
}
