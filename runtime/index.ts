/**
 * `cdk-fanout/runtime`: the Lambda side of a fan-out. Consumers (`createConsumer`), producers
 * (`Publisher`) and the envelope they share.
 */
export { createConsumer, type ConsumerHandler, type LambdaContextLike } from './consumer';
export type { ConsumerOptions, HandlerContext, IdempotencyOptions, SchemaOutput, TypeHandler } from './consumer-options';
export { createEnvelope, parseEnvelope, type Envelope, type EnvelopeInput } from './envelope';
export type { Logger } from './logger';
export type { MetricsOptions } from './metrics';
export { PoisonMessageError, type PoisonReason } from './poison-message-error';
export { Publisher, type BatchEntry, type BatchEntryResult, type PublishOptions, type PublisherOptions, type PublishResult } from './publisher';
export { redrive, type RedriveMethod, type RedriveOptions, type RedriveProgress, type RedriveResult } from './redrive';
