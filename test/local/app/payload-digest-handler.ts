import { createHash } from 'node:crypto';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createConsumer, Publisher, type HandlerContext } from '@cdk-fanout/runtime';

/*
 * The consumer of the large-message tests. For each event it adds 1 to a counter per consumer and
 * envelope in DIGESTS_TABLE and records the SHA-256 and length of the data it got (after the
 * runtime resolved any claim check), so a test sees what each handler received and how often.
 * With RELAY_TOPIC_ARN it also republishes the data as `receipt.created` with the runtime's
 * Publisher: FANOUT_PAYLOAD_BUCKET (set by FanOutTopic.configureProducer) makes it offload a large
 * body to the payload bucket from inside the function. A receipt is recorded under the envelope
 * id of the order it came from (its correlation id).
 */
const table = process.env.DIGESTS_TABLE!;
const consumer = process.env.FANOUT_CONSUMER_NAME!;
const relayTopicArn = process.env.RELAY_TOPIC_ARN;
const dynamodb = new DynamoDBClient({ cacheMiddleware: true });
const relay = relayTopicArn ? new Publisher({ topicArn: relayTopicArn, source: 'relay' }) : undefined;

const record = async (data: unknown, ctx: HandlerContext) => {
  const json = JSON.stringify(data);
  const orderId = ctx.envelope.correlationId ?? ctx.envelope.id;
  await dynamodb.send(new UpdateItemCommand({
    TableName: table,
    Key: { pk: { S: `${consumer}#${orderId}` } },
    UpdateExpression: 'ADD deliveries :one SET digest = :digest, bytes = :bytes',
    ExpressionAttributeValues: { ':one': { N: '1' }, ':digest': { S: createHash('sha256').update(json).digest('hex') }, ':bytes': { N: String(json.length) } },
  }));
  if (relay) {
    await relay.publish('receipt.created', data, { correlationId: ctx.envelope.id });
  }
};

export const handler = createConsumer({
  handlers: {
    'order.created': { handle: record },
    'receipt.created': { handle: record },
  },
});
