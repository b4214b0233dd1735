import { createConsumer, type HandlerContext } from '@cdk-fanout/runtime/consumer';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { BenchHandler, HandlerOptions } from './handler-options';
import { handleOrder, ledgerPut, ORDER_CREATED, type OrderCreated } from './order';

/**
 * The benchmark consumer on cdk-fanout, imported from the package entry a user imports
 * (`@cdk-fanout/runtime/consumer`, resolved through node_modules to the published build): the
 * envelope checked by the runtime, the data by `schema`, idempotency on table key `pk` with the
 * options the harness adds (the per-record mode), the handler with the options it adds (claim-free
 * transactions). `transactional` queues the effect with `ctx.transact` so it commits with the
 * completion.
 */
export function fanoutConsumer(schema: StandardSchemaV1<unknown, OrderCreated>, options: HandlerOptions, transactional = false): BenchHandler {
  const handle = transactional
    ? (order: OrderCreated, ctx: HandlerContext) => ctx.transact(ledgerPut(options.ledgerTableName!, order, handleOrder(order)))
    : (order: OrderCreated) => handleOrder(order);
  return createConsumer({
    consumerName: 'bench',
    idempotency: { tableName: options.tableName, ...(options.client ? { client: options.client } : {}), ...options.idempotency },
    handlers: { [ORDER_CREATED]: { ...options.handlerOptions, schema, handle } },
  });
}
