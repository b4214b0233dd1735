// The billing consumer written in CommonJS: `require` resolves the CommonJS build of
// @cdk-fanout/runtime (dist/cjs), where the `import` in billing.ts resolves dist/esm.
const { z } = require('zod');
const { createConsumer } = require('@cdk-fanout/runtime/consumer');

const OrderCreated = z.object({ orderId: z.string().min(1), amount: z.number().positive(), currency: z.string().length(3) });

exports.handler = createConsumer({
  handlers: {
    'order.created': {
      schema: OrderCreated,
      handle: (order, ctx) => {
        ctx.logger.info('charged', { orderId: order.orderId, amount: order.amount });
      },
    },
  },
});
