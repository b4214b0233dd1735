import { createConsumer, PoisonMessageError } from '@cdk-fanout/runtime/consumer';
import { LEDGER_TABLE_ENV, OrderCancelled, OrderCreated } from '../events';

const ledgerTable = process.env[LEDGER_TABLE_ENV];
const CURRENCIES = new Set(['EUR', 'USD', 'GBP']);

/**
 * Billing charges an order when it is created and refunds it when it is cancelled. Each entry
 * goes to the ledger in the same DynamoDB transaction that marks the event processed
 * (`ctx.transact`), so a retried or duplicated event can never charge twice. Its handlers do
 * nothing but queue those writes, so they need no claim first (`claim: 'at-commit'`): one
 * request per event. An order in a currency billing cannot charge is poison: no retry will fix it.
 */
export const handler = createConsumer({
  handlers: {
    'order.created': {
      schema: OrderCreated,
      claim: 'at-commit',
      handle: (order, ctx) => {
        if (!CURRENCIES.has(order.currency)) {
          throw new PoisonMessageError('non-retryable', `cannot charge in ${order.currency}`);
        }
        ctx.transact({
          Put: {
            TableName: ledgerTable,
            Item: {
              pk: { S: `charge#${order.orderId}` },
              amount: { N: String(order.amount) },
              currency: { S: order.currency },
              envelopeId: { S: ctx.envelope.id },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        });
      },
    },
    'order.cancelled': {
      schema: OrderCancelled,
      claim: 'at-commit',
      handle: (cancel, ctx) => {
        ctx.transact({
          Put: {
            TableName: ledgerTable,
            Item: { pk: { S: `refund#${cancel.orderId}` }, envelopeId: { S: ctx.envelope.id } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        });
      },
    },
  },
});
