/**
 * `@cdk-fanout/runtime`: the Lambda side of a fan-out. Consumers (`createConsumer`), producers
 * (`Publisher`), the envelope they share and dead-letter redrive. A function that needs one part
 * imports its subpath (`@cdk-fanout/runtime/consumer`, `/publisher`, `/redrive`, `/envelope`,
 * `/names`) and loads only the AWS clients that part uses.
 */
export * from './entries/consumer.js';
export * from './entries/envelope.js';
export * from './entries/publisher.js';
export * from './entries/redrive.js';
export * from './entries/names.js';
