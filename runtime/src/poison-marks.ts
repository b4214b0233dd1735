import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE } from './names.js';
import { amqpMessageOf } from './rabbitmq/record.js';
import { rabbitMqMessageOf } from './sources/rabbitmq.js';

/** `status` of a mark: never COMPLETED or IN_PROGRESS, so no claim mistakes it for an envelope's record. */
const STATUS_DEAD_LETTERED = 'DEAD_LETTERED';
/** After the message id in a mark's key, so the mark never shares a key with the envelope of the same id. */
const MARK_SUFFIX = '#dead-lettered';

/** How a record came from RabbitMQ: its `message-id` property, and whether the broker delivered it before. */
interface RabbitMqDelivery {
  readonly messageId: string;
  readonly redelivered: boolean;
}

/**
 * The RabbitMQ delivery a record came from (Lambda's event or `consumeRabbitMq`), when the message
 * carries a `message-id` property: without one nothing identifies it across redeliveries.
 */
function rabbitMqDeliveryOf(record: SQSRecord): RabbitMqDelivery | undefined {
  const event = rabbitMqMessageOf(record)?.message;
  const amqp = amqpMessageOf(record);
  const messageId = event ? event.basicProperties?.messageId : amqp?.properties.messageId;
  if (typeof messageId !== 'string' || messageId === '') return undefined;
  return { messageId, redelivered: event ? event.redelivered === true : amqp?.fields.redelivered === true };
}

/**
 * Poison already in the dead-letter queue, remembered per RabbitMQ message id in the idempotency
 * table. RabbitMQ redelivers what was not acknowledged: Lambda's whole batch after a retryable
 * failure of another record, or a message whose acknowledgement the channel lost. Without a mark,
 * its poison would be sent to the DLQ once per delivery.
 *
 * The mark is written after the DLQ took the copy (a failure in between sends a second copy,
 * never none), and read only for a redelivery (the broker's `redelivered` flag): a fresh delivery
 * of the same message id, published again or redriven after a fix, is judged afresh. Key
 * `<consumer>#<message id>#dead-lettered`, status `DEAD_LETTERED`, the completions' TTL.
 */
export class PoisonMarks {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly keyPrefix: string,
    private readonly expiresAfterSeconds: number,
    private readonly clock: Clock,
  ) {}

  /** Whether an earlier delivery of this redelivered record sent it to the DLQ. A failed read answers no: a second copy, never a lost one. */
  async sentBefore(record: SQSRecord, log: Logger): Promise<boolean> {
    const delivery = rabbitMqDeliveryOf(record);
    if (!delivery?.redelivered) return false;
    try {
      const { Item } = await this.client.send(new GetItemCommand({
        TableName: this.tableName,
        Key: { [IDEMPOTENCY_PARTITION_KEY]: { S: this.keyOf(delivery) } },
        ConsistentRead: true,
      }));
      return Item !== undefined && Number(Item[IDEMPOTENCY_TTL_ATTRIBUTE]?.N) > this.clock.now() / 1000;
    } catch (error) {
      log.warn('could not read whether this poison message was sent to the dead-letter queue before: sending it', { error });
      return false;
    }
  }

  /** Remembers that the DLQ has this record's copy; a failure is logged (a redelivery may send a second copy). */
  async remember(record: SQSRecord, log: Logger): Promise<void> {
    const delivery = rabbitMqDeliveryOf(record);
    if (!delivery) return;
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [IDEMPOTENCY_PARTITION_KEY]: { S: this.keyOf(delivery) },
          status: { S: STATUS_DEAD_LETTERED },
          [IDEMPOTENCY_TTL_ATTRIBUTE]: { N: String(Math.ceil(this.clock.now() / 1000) + this.expiresAfterSeconds) },
        },
      }));
    } catch (error) {
      log.warn('could not record that this poison message is in the dead-letter queue: a redelivery may send it again', { error });
    }
  }

  private keyOf(delivery: RabbitMqDelivery): string {
    return `${this.keyPrefix}${delivery.messageId}${MARK_SUFFIX}`;
  }
}
