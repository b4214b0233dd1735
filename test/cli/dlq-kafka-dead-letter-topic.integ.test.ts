/*
 * `fanout dlq inspect|redrive|purge --stack --consumer` for a KafkaConsumer whose failed records
 * go to a Kafka topic (KafkaDeadLetter.KAFKA_TOPIC, `<topic>.DLT` by default): no SQS queue holds
 * them and fanout reads only SQS, so each command is refused in one line naming the topic, the
 * cluster and how to read it. The deployed template comes from a proxy answering CloudFormation
 * with the constructs' synthesized template (no emulator runs CloudFormation); nothing here talks
 * to a Kafka broker (none can run on these machines).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { LOCAL_REGION } from '@cdk-fanout/local';
import { kafkaDeadLetterTopicOf } from '../../cli/src/commands/kafka-dead-letter-topic';
import { KafkaCluster, KafkaConsumer, KafkaDeadLetter } from '../../lib';
import { getTemplateResponse } from './support/cloudformation';
import { startProxy, type Proxy } from './support/proxy';
import { fanout } from './support/run';

const MSK_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/abcd1234-abcd-cafe-abab-9876543210ab-4';

/** One MSK consumer with the default dead-letter topic, one self-managed with a named one, one with an SQS DLQ. */
function kafkaTemplate(): { Resources: Record<string, unknown> } {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Payments', { env: { account: '123456789012', region: 'eu-west-1' } });
  const handler = (id: string) => new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});'), timeout: Duration.seconds(30),
  });
  new KafkaConsumer(stack, 'PaymentAudit', { cluster: KafkaCluster.msk({ clusterArn: MSK_ARN }), topic: 'payments', handler: handler('AuditFn') });
  new KafkaConsumer(stack, 'Ledger', {
    cluster: KafkaCluster.selfManaged({ bootstrapServers: ['b-1.kafka.internal:9092', 'b-2.kafka.internal:9092'], secret: new secretsmanager.Secret(stack, 'KafkaUser') }),
    topic: 'ledger-entries', handler: handler('LedgerFn'), deadLetterTopic: 'ledger-entries.failed',
  });
  new KafkaConsumer(stack, 'Refunds', { cluster: KafkaCluster.msk({ clusterArn: MSK_ARN }), topic: 'refunds', handler: handler('RefundsFn'), deadLetter: KafkaDeadLetter.SQS_QUEUE });
  return Template.fromStack(stack).toJSON() as { Resources: Record<string, unknown> };
}

const template = kafkaTemplate();
const proxies: Proxy[] = [];
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
});

async function run(consumer: string, args: readonly string[]) {
  const proxy = await startProxy(process.env.FANOUT_TEST_FAUXQS_ENDPOINT!, { GetTemplate: [getTemplateResponse(template)] });
  proxies.push(proxy);
  const result = await fanout([...args, '--stack', 'Payments', '--consumer', consumer, '--endpoint', proxy.url, '--region', LOCAL_REGION], { local: false });
  return { ...result, operations: proxy.requests.map((request) => request.operation) };
}

describe('the dead-letter topic in a deployed template', () => {
  test('found by the consumer\'s name or construct id, from its mapping\'s kafka:// on-failure destination, with the cluster', () => {
    expect(kafkaDeadLetterTopicOf(template, 'payment-audit')).toEqual({ topic: 'payments.DLT', sourceTopics: ['payments'], cluster: { mskClusterArn: MSK_ARN } });
    expect(kafkaDeadLetterTopicOf(template, 'Ledger')).toEqual({
      topic: 'ledger-entries.failed', sourceTopics: ['ledger-entries'], cluster: { bootstrapServers: ['b-1.kafka.internal:9092', 'b-2.kafka.internal:9092'] },
    });
  });

  test('none for a Kafka consumer with an SQS dead-letter queue, or a consumer that does not exist', () => {
    expect(kafkaDeadLetterTopicOf(template, 'refunds')).toBeUndefined();
    expect(kafkaDeadLetterTopicOf(template, 'nobody')).toBeUndefined();
  });
});

describe('fanout dlq on a consumer whose dead letters go to a Kafka topic', () => {
  test.each([['inspect', []], ['redrive', []], ['purge', ['--yes']]])('dlq %s: one line naming the topic, the cluster and how to read it; no SQS request', async (command, options) => {
    const result = await run('PaymentAudit', ['dlq', command, ...options]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`fanout dlq ${command}: stack Payments: consumer "PaymentAudit" sends its failed records to the Kafka topic payments.DLT, not to an SQS queue, and fanout dlq reads only SQS; `
      + 'read them with a Kafka client, e.g. kafka-console-consumer.sh --bootstrap-server BROKERS --topic payments.DLT --from-beginning --property print.headers=true '
      + `(BROKERS: aws kafka get-bootstrap-brokers --cluster-arn ${MSK_ARN}), then publish the fixed records to payments again (KafkaPublisher, same envelope id)\n`);
    expect(result.operations).toEqual(['GetTemplate']);
  });

  test('a self-managed cluster: the bootstrap servers are in the command', async () => {
    const result = await run('ledger', ['dlq', 'inspect']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('kafka-console-consumer.sh --bootstrap-server b-1.kafka.internal:9092,b-2.kafka.internal:9092 --topic ledger-entries.failed --from-beginning');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
