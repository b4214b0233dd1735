import { z } from 'zod';

/**
 * The order events of the sample app: what the order service publishes and its consumers
 * validate. One schema per event type and envelope version.
 */
export const OrderCreated = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  amount: z.number().positive(),
  currency: z.string().length(3),
  items: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1),
});
export type OrderCreated = z.infer<typeof OrderCreated>;

export const OrderCancelled = z.object({
  orderId: z.string().min(1),
  reason: z.string().optional(),
});
export type OrderCancelled = z.infer<typeof OrderCancelled>;

/** Environment variables of the sample handlers, besides those cdk-fanout sets. */
export const LEDGER_TABLE_ENV = 'LEDGER_TABLE';
export const STOCK_TABLE_ENV = 'STOCK_TABLE';
