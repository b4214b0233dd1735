/**
 * `@cdk-fanout/runtime/names`: the names the constructs and the runtime agree on, and how tools
 * find a consumer's queues by the tags the constructs set.
 */
export * from '../names.js';
export { findConsumerQueues, queuesOfTemplate, sameConsumer, type ConsumerQueues, type DeadLetterRole, type TaggedQueue } from '../consumer-queues.js';
