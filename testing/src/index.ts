/**
 * `@cdk-fanout/testing` (private): what only the tests use. Never a dependency of a published
 * package.
 */
export * from './aws';
export * from './batch-log-totals';
export * from './endpoints';
export * from './faults';
export * from './kafka-records';
export * from './kinesis-records';
export * from './middleware';
export * from './queue-contents';
export * from './queues';
export * from './rabbitmq-broker';
export * from './rabbitmq-records';
export * from './records';
export * from './redeliveries';
export * from './seed';
export * from './sns-faults';
export { seededRandom, type FunctionFaults } from './fault-preload';

/** The module to pass as `preload` to a local deployment for `FunctionFaults`. */
export const FAULT_PRELOAD_MODULE = require.resolve('./fault-preload.js');
