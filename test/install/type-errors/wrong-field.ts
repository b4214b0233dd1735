// Must NOT compile: `noSuchField` is not in the schema, so TS2339 on the marked line.
import { z } from 'zod';
import { createConsumer } from '@cdk-fanout/runtime/consumer';

const OrderCreated = z.object({ orderId: z.string(), amount: z.number() });

export const handler = createConsumer({
  handlers: {
    'order.created': {
      schema: OrderCreated,
      handle: (order) => {
        console.log(order.noSuchField); // expected error TS2339
      },
    },
  },
});
