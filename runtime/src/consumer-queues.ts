import { ROLE_DEAD_LETTER_QUEUE, ROLE_FAILURE_RECORDS, ROLE_QUEUE, TAG_CONSUMER, TAG_ROLE } from './names.js';

/** An SQS queue resource of a stack, with the tags its template gives it. */
export interface TaggedQueue {
  readonly logicalId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * What a consumer's dead-letter queue holds, by its `fanout:role` tag: `dead-letter-queue`, the
 * messages themselves (moved by SQS after `maxReceiveCount`, or poison the runtime sent: a
 * fan-out, work-queue or RabbitMQ consumer); `failure-records`, Lambda's on-failure records of a
 * stream or Kafka consumer (where the failed batches are: shard or partition, sequence number or
 * offset range; not the records) and the poison records its handler sent.
 */
export type DeadLetterRole = typeof ROLE_DEAD_LETTER_QUEUE | typeof ROLE_FAILURE_RECORDS;

/** A consumer's dead-letter queue, and its queue when it has one. */
export interface ConsumerQueues<Q extends TaggedQueue> {
  /**
   * The queue the consumer reads, whose redrive policy names the dead-letter queue. Absent for a
   * consumer that owns only a dead-letter queue: a stream, Kafka or RabbitMQ consumer.
   */
  readonly queue?: Q;
  readonly deadLetterQueue: Q;
  /** What the dead-letter queue holds. */
  readonly deadLetterRole: DeadLetterRole;
}

/** The `AWS::SQS::Queue` resources of a CloudFormation template, with their literal tags. */
export function queuesOfTemplate(template: { readonly Resources?: Readonly<Record<string, unknown>> }): TaggedQueue[] {
  return Object.entries(template.Resources ?? {}).flatMap(([logicalId, resource]) => {
    const { Type, Properties } = (resource ?? {}) as { Type?: unknown; Properties?: { Tags?: unknown } };
    return Type === 'AWS::SQS::Queue' ? [{ logicalId, tags: literalTags(Properties?.Tags) }] : [];
  });
}

/**
 * The queues of `consumer` among `queues`, found by the tags the constructs put on them
 * (`fanout:consumer`, `fanout:role`): its dead-letter queue (role `dead-letter-queue` or
 * `failure-records`) and, when it has one, its queue. The consumer is its name or its construct
 * id: case and punctuation are ignored (`order-history` and `OrderHistory` are the same consumer).
 * Finding no dead-letter queue, or several queues of one kind (two fan-outs in one stack), is an
 * error that lists the consumers there are.
 */
export function findConsumerQueues<Q extends TaggedQueue>(queues: readonly Q[], consumer: string, where: string): ConsumerQueues<Q> {
  const ofConsumer = queues.filter((queue) => queue.tags[TAG_CONSUMER] !== undefined && sameConsumer(queue.tags[TAG_CONSUMER], consumer));
  const withRole = (role: string) => ofConsumer.filter((queue) => queue.tags[TAG_ROLE] === role);
  const [queue, ...moreQueues] = withRole(ROLE_QUEUE);
  const [deadLetterQueue, ...moreDeadLetterQueues] = [...withRole(ROLE_DEAD_LETTER_QUEUE), ...withRole(ROLE_FAILURE_RECORDS)];
  if (moreQueues.length > 0 || moreDeadLetterQueues.length > 0) {
    const ids = ofConsumer.map((q) => q.logicalId).join(', ');
    throw new Error(`${where}: consumer "${consumer}" names queues of more than one fan-out (${ids}); give the dead-letter queue's URL instead`);
  }
  if (!deadLetterQueue) {
    if (queue) throw new Error(`${where}: consumer "${consumer}" has a queue (${queue.logicalId}) but no tagged dead-letter queue; give the dead-letter queue's URL instead`);
    const names = [...new Set(queues.map((q) => q.tags[TAG_CONSUMER]).filter((name) => name !== undefined))].sort();
    throw new Error(`${where} has no consumer "${consumer}"; ${names.length ? `its consumers: ${names.join(', ')}` : 'it has no cdk-fanout consumer queues'}`);
  }
  const deadLetterRole = deadLetterQueue.tags[TAG_ROLE] as DeadLetterRole;
  return queue ? { queue, deadLetterQueue, deadLetterRole } : { deadLetterQueue, deadLetterRole };
}

/**
 * Whether two names are the same consumer: construct ids keep case and drop dashes, consumer
 * names are dashed lower case, so only letters and digits are compared, ignoring case.
 */
export function sameConsumer(a: string, b: string): boolean {
  const normalize = (name: string) => name.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  return normalize(a) === normalize(b);
}

/** CloudFormation tags (`[{ Key, Value }]`) whose key and value are plain strings. */
function literalTags(tags: unknown): Record<string, string> {
  if (!Array.isArray(tags)) {
    return {};
  }
  return Object.fromEntries(tags.flatMap((tag: { Key?: unknown; Value?: unknown }) =>
    typeof tag?.Key === 'string' && typeof tag.Value === 'string' ? [[tag.Key, tag.Value]] : []));
}
