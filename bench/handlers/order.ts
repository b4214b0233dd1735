import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';

/**
 * The work every runtime does in the benchmark: one envelope type, `order.created` version 1,
 * its data validated by the same schema (zod 4 in order-zod.ts, or valibot in order-valibot.ts),
 * and a trivial handle. No schema library here, so each bundle carries only its own.
 */
export const ORDER_CREATED = 'order.created';

export interface OrderCreated {
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly items: readonly { readonly sku: string; readonly quantity: number; readonly unitPrice: number }[];
}

/** Orders with this id prefix make the handler throw a retryable error: the "failed record" case. */
export const FAILING_ORDER_PREFIX = 'fail-';

/** Keeps the result observable so no optimiser can drop the work. */
export let lastTotal = 0;

export function handleOrder(order: OrderCreated): number {
  if (order.orderId.startsWith(FAILING_ORDER_PREFIX)) {
    throw new Error(`order ${order.orderId} declined`);
  }
  lastTotal = order.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
  return lastTotal;
}

/** The transactional handlers' effect: one item per order in the ledger table (one key per record, so grouped transactions never name a key twice). */
export function ledgerPut(ledgerTableName: string, order: OrderCreated, total: number): TransactWriteItem {
  return {
    Put: {
      TableName: ledgerTableName,
      Item: { pk: { S: `order#${order.orderId}` }, customerId: { S: order.customerId }, total: { N: String(total) } },
    },
  };
}
