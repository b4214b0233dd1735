/**
 * `@cdk-fanout/testing` (private): what only the tests use. Never a dependency of a published
 * package.
 */
export * from './aws.js';
export * from './batch-log-totals.js';
export * from './endpoints.js';
export * from './middleware.js';
export * from './queue-contents.js';
export * from './queues.js';
export * from './records.js';
export * from './redeliveries.js';
export { seededRandom, type FunctionFaults } from './fault-preload.js';

/** The module to pass as `preload` to a local deployment for `FunctionFaults`. */
export const FAULT_PRELOAD_MODULE = require.resolve('./fault-preload.js');
