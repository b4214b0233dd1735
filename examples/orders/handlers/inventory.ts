import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createConsumer } from '@cdk-fanout/runtime/consumer';
import { OrderCreated, STOCK_TABLE_ENV } from '../events';

const stockTable = process.env[STOCK_TABLE_ENV];
const dynamodb = new DynamoDBClient({ cacheMiddleware: true });

/**
 * Inventory reserves stock for each new order. It uses the plain idempotent mode: the
 * reservation is written first and the event marked processed after, so only a crash between the
 * two (then a lock expiry) could repeat it.
 */
export const handler = createConsumer({
  handlers: {
    'order.created': {
      schema: OrderCreated,
      handle: async (order) => {
        for (const item of order.items) {
          await dynamodb.send(new UpdateItemCommand({
            TableName: stockTable,
            Key: { pk: { S: `sku#${item.sku}` } },
            UpdateExpression: 'ADD reserved :quantity',
            ExpressionAttributeValues: { ':quantity': { N: String(item.quantity) } },
          }));
        }
      },
    },
  },
});
