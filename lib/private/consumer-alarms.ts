import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { IConsumer } from '../consumer-base';
import { createAlarm } from './alarm';

const MINUTE = { period: Duration.minutes(1) };

/** Oldest-message alarm threshold: how far behind a consumer may be before on-call hears of it. */
export const MAX_MESSAGE_AGE = Duration.minutes(15);

/** Messages waiting in a queue (Maximum of `ApproximateNumberOfMessagesVisible`, 1 minute). */
export function queueDepthMetric(queue: sqs.IQueue, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...MINUTE, ...props });
}

/** Age of the oldest message in a queue, seconds (Maximum, 1 minute). */
export function ageOfOldestMessageMetric(queue: sqs.IQueue, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...MINUTE, ...props });
}

/**
 * The function's `IteratorAge` (AWS/Lambda, Maximum, 1 minute), milliseconds: how old the last
 * record of each batch was when Lambda read it from the stream.
 */
export function iteratorAgeMetric(handler: lambda.IFunction, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return handler.metric('IteratorAge', { statistic: 'Maximum', ...MINUTE, ...props });
}

/**
 * The function's `OffsetLag` (AWS/Lambda, Maximum, 1 minute): how many records of the topic its
 * consumer group has not processed yet.
 */
export function offsetLagMetric(handler: lambda.IFunction, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return handler.metric('OffsetLag', { statistic: 'Maximum', ...MINUTE, ...props });
}

/** Where a RabbitMQ queue's metrics are: its broker (by name), virtual host and queue. */
export interface AmazonMqQueue {
  readonly brokerName: string;
  readonly virtualHost: string;
  readonly queueName: string;
}

/**
 * A metric Amazon MQ publishes per RabbitMQ queue (`AWS/AmazonMQ`, dimensions `Broker`,
 * `VirtualHost`, `Queue`): `MessageReadyCount`, `MessageUnacknowledgedCount`, `MessageCount`,
 * `ConsumerCount` (Maximum, 1 minute).
 *
 * @see https://docs.aws.amazon.com/amazon-mq/latest/developer-guide/rabbitmq-logging-monitoring.html
 */
export function amazonMqQueueMetric(queue: AmazonMqQueue, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/AmazonMQ',
    metricName,
    dimensionsMap: { Broker: queue.brokerName, VirtualHost: queue.virtualHost, Queue: queue.queueName },
    statistic: 'Maximum',
    ...MINUTE,
    ...props,
  });
}

/**
 * "Dead-letter queue not empty". Depth alone misses a DLQ that something drains between two
 * samples: messages sent there (poison from the runtime, Lambda's on-failure records) show in
 * NumberOfMessagesSent, any receive in NumberOfMessagesReceived. Construct id `DeadLetterAlarm`.
 */
export function deadLetterAlarm(scope: Construct, consumerName: string, deadLetterQueue: sqs.IQueue, alarmDescription: string, alarmTopic?: sns.ITopic): cloudwatch.Alarm {
  const deadLetters = new cloudwatch.MathExpression({
    expression: 'FILL(visible, 0) + FILL(sent, 0) + FILL(received, 0)',
    usingMetrics: {
      visible: queueDepthMetric(deadLetterQueue),
      sent: deadLetterQueue.metricNumberOfMessagesSent({ statistic: 'Sum', ...MINUTE }),
      received: deadLetterQueue.metricNumberOfMessagesReceived({ statistic: 'Sum', ...MINUTE }),
    },
    label: `${consumerName} dead letters`,
    ...MINUTE,
  });
  return createAlarm(scope, 'DeadLetterAlarm', { metric: deadLetters, alarmDescription }, alarmTopic);
}

/**
 * The dead-letter alarm's description for a consumer with a queue of its own (`kind`: consumer,
 * work queue): its messages can be redriven.
 */
export function redriveDescription(kind: string, consumer: IConsumer): string {
  return `Messages of ${kind} ${consumer.consumerName} (${consumer.node.path}) reached its dead-letter queue; inspect with \`fanout dlq inspect\`, fix, then \`fanout dlq redrive\`.`;
}

/** What the backlog alarms of a queue consumer watch. */
export interface BacklogAlarmsSpec {
  /** How alarm descriptions name the consumer, e.g. `Consumer billing (Stack/Orders/Billing)`. */
  readonly subject: string;
  readonly queue: sqs.IQueue;
  readonly maxMessageAge?: Duration;
  readonly maxQueueDepth?: number;
}

/**
 * A queue consumer is behind: its oldest message is `maxMessageAge` old (`MessageAgeAlarm`),
 * and, with `maxQueueDepth`, that many messages wait (`QueueDepthAlarm`); three minutes in a row.
 */
export function backlogAlarms(scope: Construct, spec: BacklogAlarmsSpec, alarmTopic?: sns.ITopic): cloudwatch.Alarm[] {
  const maxAge = spec.maxMessageAge ?? MAX_MESSAGE_AGE;
  const alarms = [
    createAlarm(scope, 'MessageAgeAlarm', {
      metric: ageOfOldestMessageMetric(spec.queue),
      threshold: maxAge.toSeconds(),
      evaluationPeriods: 3,
      alarmDescription: `${spec.subject} is behind: its oldest message is ${maxAge.toHumanString()} old or older.`,
    }, alarmTopic),
  ];
  if (spec.maxQueueDepth !== undefined) {
    alarms.push(createAlarm(scope, 'QueueDepthAlarm', {
      metric: queueDepthMetric(spec.queue),
      threshold: spec.maxQueueDepth,
      evaluationPeriods: 3,
      alarmDescription: `${spec.subject} has ${spec.maxQueueDepth} or more messages waiting.`,
    }, alarmTopic));
  }
  return alarms;
}
