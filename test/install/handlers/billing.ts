// A consumer as a user writes it, against the installed @cdk-fanout/runtime.
import { z } from 'zod';
import { createConsumer, PoisonMessageError, type ConsumerHandler } from '@cdk-fanout/runtime/consumer';

export const OrderCreated = z.object({
  orderId: z.string().min(1),
  amount: z.number().positive(),
  currency: z.string().length(3),
});

export const handler: ConsumerHandler = createConsumer({
  handlers: {
    'order.created': {
      schema: OrderCreated,
      handle: async (order, ctx) => {
        // `order` is typed from the schema: these must compile under strict.
        const amount: number = order.amount;
        const currency: string = order.currency;
        if (currency === 'XXX') {
          throw new PoisonMessageError('non-retryable', `cannot charge in ${currency}`);
        }
        ctx.logger.info('charged', { orderId: order.orderId, amount, envelopeId: ctx.envelope.id });
      },
    },
  },
});
