export * from './consumer-base';
export * from './fanout-topic';
export * from './consumer';
export * from './idempotency-table';
export * from './fanout-dashboard';
export * from './work-queue';
export * from './stream-consumer';
