import { fanoutConsumer } from './fanout-consumer';
import { optionsFromEnvironment, type BenchHandler, type HandlerOptions } from './handler-options';
import { OrderCreated } from './order-zod';

/** cdk-fanout with the zod schema and a transactional effect (`ctx.transact`: one ledger item per order). */
export function create(options: HandlerOptions): BenchHandler {
  return fanoutConsumer(OrderCreated, options, true);
}

export const handler = create(optionsFromEnvironment());
