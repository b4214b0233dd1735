import { z } from 'zod';

/** The order data schema in zod 4 (the same rules as order-valibot.ts). */
export const OrderCreated = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  currency: z.string().length(3),
  items: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive(), unitPrice: z.number().nonnegative() })).min(1),
});
