/**
 * `@cdk-fanout/runtime/rabbitmq-topology`: declare RabbitMQ exchanges, consumer queues with their
 * dead-letter side, and bindings. No AWS client: tools that only declare topology (the command
 * line) import this, not `/rabbitmq`, which also carries the consumer.
 */
export { declareTopology, topologyPlan, DELIVERY_LIMIT_RANGE, type BindingSpec, type ConsumerQueueSpec, type DeclareTopologyOptions, type ExchangeSpec, type QueueDeclaration, type TopologyDeclared, type TopologyPlan, type TopologySpec } from '../rabbitmq/topology.js';
export { DEFAULT_DELIVERY_LIMIT, rabbitMqNames, type RabbitMqConsumerNames } from '../rabbitmq/names.js';
