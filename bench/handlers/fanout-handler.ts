import { createConsumer } from '@cdk-fanout/runtime';
import { DEFAULT_TABLE_NAME, TABLE_NAME_ENV, type BenchHandler, type HandlerOptions } from './handler-options';
import { handleOrder, ORDER_CREATED, OrderCreated } from './order';

/** The benchmark consumer on cdk-fanout: the envelope checked by the runtime, data by the zod schema as a Standard Schema. */
export function createFanoutHandler(options: HandlerOptions): BenchHandler {
  return createConsumer({
    consumerName: 'bench',
    idempotency: { tableName: options.tableName, ...(options.client ? { client: options.client } : {}) },
    handlers: {
      [ORDER_CREATED]: { schema: OrderCreated, handle: (order) => handleOrder(order) },
    },
  });
}

/** The Lambda entry point, as a user would deploy it: the bundle-size and cold-import figures load this. */
export const handler = createFanoutHandler({ tableName: process.env[TABLE_NAME_ENV] ?? DEFAULT_TABLE_NAME });
