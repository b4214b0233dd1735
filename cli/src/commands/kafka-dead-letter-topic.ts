import { ENV_CONSUMER_NAME, sameConsumer } from '@cdk-fanout/runtime/names';

/**
 * A Kafka consumer whose failed records go to a Kafka topic (`KafkaDeadLetter.KAFKA_TOPIC`, the
 * default `<topic>.DLT`) rather than to an SQS queue: Lambda writes the records themselves there,
 * with failure metadata, on the cluster it reads.
 */
export interface KafkaDeadLetterTopic {
  /** The dead-letter topic. */
  readonly topic: string;
  /** The topics the consumer reads. */
  readonly sourceTopics: readonly string[];
  /** The MSK cluster's ARN, or a self-managed cluster's bootstrap servers. */
  readonly cluster?: { readonly mskClusterArn: string } | { readonly bootstrapServers: readonly string[] };
}

/** Lambda's notation for a Kafka on-failure destination. */
const KAFKA_DESTINATION = /^kafka:\/\/(.+)$/;

type Resource = { readonly Type?: unknown; readonly Properties?: Record<string, unknown> };

/**
 * The dead-letter topic of `consumer` (its name or construct id) in a deployed template: the
 * `kafka://` on-failure destination of the event source mapping of the function whose
 * `FANOUT_CONSUMER_NAME` is that consumer. Undefined when the consumer has none (its dead letters
 * go to an SQS queue, or it is not a Kafka consumer).
 */
export function kafkaDeadLetterTopicOf(template: { readonly Resources?: Readonly<Record<string, unknown>> }, consumer: string): KafkaDeadLetterTopic | undefined {
  const resources = Object.entries(template.Resources ?? {}) as Array<[string, Resource]>;
  const functions = new Set(resources
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .filter(([, r]) => {
      const name = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[ENV_CONSUMER_NAME];
      return typeof name === 'string' && sameConsumer(name, consumer);
    })
    .map(([logicalId]) => logicalId));
  for (const [, mapping] of resources.filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')) {
    const props = mapping.Properties ?? {};
    const fn = (props.FunctionName as { Ref?: unknown } | undefined)?.Ref;
    const destination = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
    const topic = typeof destination === 'string' ? KAFKA_DESTINATION.exec(destination)?.[1] : undefined;
    if (typeof fn === 'string' && functions.has(fn) && topic) {
      const servers = (props.SelfManagedEventSource as { Endpoints?: { KafkaBootstrapServers?: unknown } } | undefined)?.Endpoints?.KafkaBootstrapServers;
      const cluster = Array.isArray(servers) && servers.every((server) => typeof server === 'string')
        ? { bootstrapServers: servers as string[] }
        : typeof props.EventSourceArn === 'string' ? { mskClusterArn: props.EventSourceArn } : undefined;
      return { topic, sourceTopics: Array.isArray(props.Topics) ? props.Topics.filter((t): t is string => typeof t === 'string') : [], ...(cluster && { cluster }) };
    }
  }
  return undefined;
}

/**
 * One line for `fanout dlq` asked about such a consumer: the records are on a Kafka topic, which
 * the command does not read; where the topic is and how to read it and send records back.
 */
export function kafkaDeadLetterTopicMessage(where: string, consumer: string, found: KafkaDeadLetterTopic): string {
  const cluster = found.cluster;
  const brokers = cluster && 'bootstrapServers' in cluster ? cluster.bootstrapServers.join(',') : 'BROKERS';
  const brokersHint = cluster && 'mskClusterArn' in cluster ? ` (BROKERS: aws kafka get-bootstrap-brokers --cluster-arn ${cluster.mskClusterArn})` : '';
  const source = found.sourceTopics.length ? found.sourceTopics.join(', ') : 'its topic';
  return `${where}: consumer "${consumer}" sends its failed records to the Kafka topic ${found.topic}, not to an SQS queue, and fanout dlq reads only SQS; `
    + `read them with a Kafka client, e.g. kafka-console-consumer.sh --bootstrap-server ${brokers} --topic ${found.topic} --from-beginning --property print.headers=true${brokersHint}, `
    + `then publish the fixed records to ${source} again (KafkaPublisher, same envelope id)`;
}
