import { DynamoDBClient, UpdateItemCommand, type Update } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { createConsumer, PoisonMessageError, type HandlerContext } from '@cdk-fanout/runtime';
import { setTimeout as delay } from 'node:timers/promises';

/*
 * The consumer of the end-to-end tests. Its effect is a counter per envelope in the effects
 * table (so a double effect shows as a count of 2), plus, per message group, the list of
 * sequence numbers in the order they were applied. The environment picks the mode:
 * EFFECTS_TABLE, HANDLER_MODE (plain | transact | at-commit | fail), SLEEP_MS, MIN_REMAINING_MS
 * (at-commit: transact with the claim-free commit, so a crash leaves no lock behind). An order
 * with `failAlways` fails (retryably) in every mode.
 */
const table = process.env.EFFECTS_TABLE!;
const mode = process.env.HANDLER_MODE ?? 'plain';
const sleepMs = Number(process.env.SLEEP_MS ?? 0);
const consumer = process.env.FANOUT_CONSUMER_NAME!;
const dynamodb = new DynamoDBClient({ cacheMiddleware: true });

const Order = z.object({
  orderId: z.string(),
  group: z.string().optional(),
  seq: z.number().int().optional(),
  poison: z.boolean().optional(),
  failAlways: z.boolean().optional(),
});

const updates = (envelopeId: string, order: z.infer<typeof Order>): Update[] => [
  {
    TableName: table,
    Key: { pk: { S: `${consumer}#${envelopeId}` } },
    UpdateExpression: 'ADD effects :one SET orderId = :orderId',
    ExpressionAttributeValues: { ':one': { N: '1' }, ':orderId': { S: order.orderId } },
  },
  ...(order.group === undefined ? [] : [{
    TableName: table,
    Key: { pk: { S: `${consumer}#group#${order.group}` } },
    UpdateExpression: 'SET applied = list_append(if_not_exists(applied, :empty), :seq)',
    ExpressionAttributeValues: { ':empty': { L: [] }, ':seq': { L: [{ N: String(order.seq) }] } },
  }]),
];

const handle = async (order: z.infer<typeof Order>, ctx: HandlerContext) => {
  if (order.poison) {
    throw new PoisonMessageError('non-retryable', `order ${order.orderId} asked to be poison`);
  }
  if (sleepMs) {
    await delay(sleepMs);
  }
  if (mode === 'fail' || order.failAlways) {
    await dynamodb.send(new UpdateItemCommand({
      TableName: table,
      Key: { pk: { S: `${consumer}#attempts#${ctx.envelope.id}` } },
      UpdateExpression: 'ADD attempts :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
    }));
    throw new Error(`order ${order.orderId}: this consumer always fails`);
  }
  for (const update of updates(ctx.envelope.id, order)) {
    if (mode === 'transact' || mode === 'at-commit') {
      ctx.transact({ Update: update });
    } else {
      await dynamodb.send(new UpdateItemCommand(update));
    }
  }
};

const claim = mode === 'at-commit' ? 'at-commit' as const : undefined;

export const handler = createConsumer({
  minRemainingTimeMs: Number(process.env.MIN_REMAINING_MS ?? 1000),
  handlers: {
    'order.created': { schema: Order, handle, claim },
    'order.cancelled': { schema: Order, handle, claim },
  },
});
