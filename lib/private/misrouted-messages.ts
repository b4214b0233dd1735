import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Tags, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { deadLetterAlarm } from './consumer-alarms';
import { consumerOfStackNamed, registerStackConsumer } from './stack-consumers';
import { DEAD_LETTER_RETENTION, queueEncryption } from './consumer-queues';
import { misroutedFilter } from './environment-filter';
import { ROLE_DEAD_LETTER_QUEUE, TAG_CONSUMER, TAG_ROLE } from './names';
import { QueueSubscription } from './queue-subscription';

/** What the misrouted-messages queue of a fan-out needs. */
export interface MisroutedMessagesSpec {
  readonly topic: sns.ITopic;
  readonly environment: string;
  readonly fifo: boolean;
  /** The `fanout:consumer` tag of the queue, so `fanout dlq inspect --consumer` finds it. */
  readonly consumerName: string;
  readonly encryptionKey?: kms.IKey;
  readonly alarmTopic?: sns.ITopic;
  /** Queues of a fan-out whose topic allows large messages take them too (bytes). */
  readonly maxMessageSizeBytes?: number;
}

/**
 * Messages published to a fan-out's own topic with another environment's stamp: a producer
 * configured for the wrong environment. Every consumer's filter lets only its own environment
 * (or an unstamped message) through, so without this subscription SNS would drop them with no
 * more trace than a metric. Here they wait 14 days, and an alarm says so.
 */
export class MisroutedMessages extends Construct {
  /** The name its queue is tagged with: the command line finds it as it finds a consumer, so no consumer of the stack may have it. */
  public readonly consumerName: string;
  public readonly queue: sqs.Queue;
  public readonly alarm: cloudwatch.IAlarm;

  constructor(scope: Construct, id: string, spec: MisroutedMessagesSpec) {
    super(scope, id);
    this.consumerName = spec.consumerName;
    const namesake = consumerOfStackNamed(this, spec.consumerName);
    if (namesake) {
      throw new Error(`${scope.node.path}: its misrouted-messages queue is tagged as consumer '${spec.consumerName}', which is ${namesake.node.path}; give one of them another id or consumerName`);
    }
    registerStackConsumer(this);
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: spec.fifo || undefined,
      retentionPeriod: DEAD_LETTER_RETENTION,
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.DENY_ALL },
      maxMessageSizeBytes: spec.maxMessageSizeBytes,
      enforceSSL: true,
      ...queueEncryption(spec.encryptionKey),
    });
    Tags.of(this.queue).add(TAG_CONSUMER, spec.consumerName);
    Tags.of(this.queue).add(TAG_ROLE, ROLE_DEAD_LETTER_QUEUE);
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is where a fan-out keeps messages stamped with another environment: a dead-letter queue of the topic, which has no dead-letter queue of its own.',
    });
    spec.topic.addSubscription(new QueueSubscription(this.queue, { rawMessageDelivery: true, filterPolicy: misroutedFilter(spec.environment) }));
    this.alarm = deadLetterAlarm(this, spec.consumerName, this.queue,
      `Messages published to ${scope.node.path} carry an environment other than '${spec.environment}' (a producer set up for another environment); `
      + `no consumer got them. Inspect them with \`fanout dlq inspect --consumer ${spec.consumerName} --force\`, fix the producer's environment, then publish them again.`,
      spec.alarmTopic);
  }
}
