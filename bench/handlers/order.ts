import { z } from 'zod';

/**
 * The work both runtimes do in the benchmark: one envelope type, `order.created` version 1,
 * whose data is validated by the same zod 4 schema (cdk-fanout takes it as a Standard Schema,
 * Powertools' parser as zod), and a trivial handle.
 */
export const ORDER_CREATED = 'order.created';

export const OrderCreated = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  currency: z.string().length(3),
  items: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive(), unitPrice: z.number().nonnegative() })).min(1),
});
export type OrderCreated = z.infer<typeof OrderCreated>;

/** Orders with this id prefix make the handler throw a retryable error: the "failed record" case. */
export const FAILING_ORDER_PREFIX = 'fail-';

/** Keeps the result observable so no optimiser can drop the work. */
export let lastTotal = 0;

export function handleOrder(order: OrderCreated): void {
  if (order.orderId.startsWith(FAILING_ORDER_PREFIX)) {
    throw new Error(`order ${order.orderId} declined`);
  }
  lastTotal = order.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
}
