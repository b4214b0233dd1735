/**
 * A deployed stack's template with one consumer of each kind that owns only a dead-letter queue:
 * a stream consumer and a Kafka consumer (their DLQ holds Lambda's on-failure records, role
 * `failure-records`) and a RabbitMQ consumer (its DLQ holds the runtime's poison messages, role
 * `dead-letter-queue`), next to a fan-out consumer with its queue and DLQ.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Template } from 'aws-cdk-lib/assertions';
import { FanOutTopic, KafkaCluster, KafkaConsumer, KafkaDeadLetter, RabbitMqBroker, RabbitMqConsumer, StreamConsumer } from '../../../lib';

export function consumersTemplate(): { Resources: Record<string, unknown> } {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Consumers', { env: { account: '123456789012', region: 'eu-west-1' } });
  const handler = (id: string) => new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});'), timeout: Duration.seconds(30),
  });
  new FanOutTopic(stack, 'Orders').addConsumer('Invoicing');
  new StreamConsumer(stack, 'ClickCounter', { stream: new kinesis.Stream(stack, 'Clicks'), handler: handler('ClicksFn') });
  new KafkaConsumer(stack, 'PaymentAudit', {
    cluster: KafkaCluster.msk({ clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/abcd1234-abcd-cafe-abab-9876543210ab-4' }),
    topic: 'payments',
    handler: handler('AuditFn'),
    deadLetter: KafkaDeadLetter.SQS_QUEUE,
  });
  new RabbitMqConsumer(stack, 'Billing', {
    broker: RabbitMqBroker.fromBrokerArn('arn:aws:mq:eu-west-1:123456789012:broker:orders:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9'),
    secret: new secretsmanager.Secret(stack, 'BrokerUser'),
    handler: handler('BillingFn'),
  });
  return Template.fromStack(stack).toJSON() as { Resources: Record<string, unknown> };
}
