import * as v from 'valibot';

/** The order data schema in valibot (the same rules as order-zod.ts): cdk-fanout takes any Standard Schema. */
export const OrderCreated = v.object({
  orderId: v.pipe(v.string(), v.minLength(1)),
  customerId: v.pipe(v.string(), v.minLength(1)),
  currency: v.pipe(v.string(), v.length(3)),
  items: v.pipe(
    v.array(v.object({
      sku: v.pipe(v.string(), v.minLength(1)),
      quantity: v.pipe(v.number(), v.integer(), v.gtValue(0)),
      unitPrice: v.pipe(v.number(), v.minValue(0)),
    })),
    v.minLength(1),
  ),
});
