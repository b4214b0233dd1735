import { fanoutConsumer } from './fanout-consumer';
import { optionsFromEnvironment, type BenchHandler, type HandlerOptions } from './handler-options';
import { OrderCreated } from './order-zod';

/** cdk-fanout with the zod schema. */
export function create(options: HandlerOptions): BenchHandler {
  return fanoutConsumer(OrderCreated, options);
}

export const handler = create(optionsFromEnvironment());
