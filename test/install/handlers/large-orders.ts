// A consumer of large orders, against the installed @cdk-fanout/runtime: claim checks are resolved
// before the handler runs, so it sees the whole order. It logs a digest of what it got, which the
// install test compares with what was published.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { createConsumer, type ConsumerHandler } from '@cdk-fanout/runtime/consumer';

export const LargeOrder = z.object({
  orderId: z.string().min(1),
  lines: z.array(z.string()),
});

export const handler: ConsumerHandler = createConsumer({
  handlers: {
    'order.created': {
      schema: LargeOrder,
      handle: (order, ctx) => {
        const sha256 = createHash('sha256').update(JSON.stringify(order)).digest('hex');
        ctx.logger.info('large order received', { envelopeId: ctx.envelope.id, lines: order.lines.length, sha256 });
      },
    },
  },
});
