import { SQSClient } from '@aws-sdk/client-sqs';
import type { ConsumeMessage, Message, Options } from 'amqplib';
import { ATTRIBUTE_ERROR, ATTRIBUTE_REASON } from '../names.js';
import type { Subscription } from './subscription.js';
import { withTimeout } from './timeout.js';

/**
 * Where `consumeRabbitMq` puts poison: a copy of the message (content, properties and headers,
 * plus `fanout.reason` and `fanout.error`) published to the dead-letter exchange, mandatory and
 * confirmed. Copies go one at a time, so a `basic.return` (unroutable) belongs to the one
 * outstanding; any open channel will do (the copy is a new message; the original is settled on
 * the channel that delivered it).
 */
export class DeadLetterExchange {
  /** Poison copies the broker confirmed. */
  confirmed = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly exchange: string,
    private readonly timeoutMs: number,
    private readonly subscription: () => Subscription | undefined,
  ) {}

  /** Resolves once the broker confirmed the copy and routed it to a queue; rejects otherwise (the caller returns the message to the queue). */
  publish(message: ConsumeMessage, reason: string, error: string): Promise<void> {
    const run = () => this.publishNow(message, reason, error);
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /**
   * An SQS client for `createConsumer`'s dead-letter path, kept in the process: its SendMessage
   * becomes `publish` of the message `messageOf()` returns (the one whose pipeline call is running).
   */
  sqsClient(messageOf: () => ConsumeMessage | undefined): SQSClient {
    const client = new SQSClient({ region: 'local', credentials: { accessKeyId: 'none', secretAccessKey: 'none' } });
    client.middlewareStack.add(
      () => async (args) => {
        const input = args.input as { MessageAttributes?: Record<string, { StringValue?: string }> };
        const message = messageOf();
        if (!message) throw new Error('no AMQP message to dead-letter');
        const reason = input.MessageAttributes?.[ATTRIBUTE_REASON]?.StringValue ?? 'non-retryable';
        await this.publish(message, reason, input.MessageAttributes?.[ATTRIBUTE_ERROR]?.StringValue ?? reason);
        return { output: { MessageId: message.properties.messageId, $metadata: {} }, response: undefined };
      },
      { step: 'initialize', priority: 'high', name: 'fanoutAmqpDeadLetter' },
    );
    return client;
  }

  private async publishNow(message: ConsumeMessage, reason: string, error: string): Promise<void> {
    const subscription = this.subscription();
    if (!subscription?.open) throw new Error('the channel is closed: the broker delivers the message again');
    subscription.returned = false;
    const { userId: _userId, expiration: _expiration, headers, ...properties } = message.properties as Message['properties'] & Record<string, unknown>;
    const publishOptions: Options.Publish = {
      ...withoutUndefined(properties),
      // Not kept: a user id must match this connection's user, and a TTL would expire the poison from the DLQ.
      headers: { ...headers, [ATTRIBUTE_REASON]: reason, [ATTRIBUTE_ERROR]: error },
      persistent: true,
      mandatory: true,
    };
    const exchange = JSON.stringify(this.exchange);
    await withTimeout(new Promise<void>((resolve, reject) => {
      subscription.channel.publish(this.exchange, message.fields.routingKey, message.content, publishOptions, (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
    }), this.timeoutMs, `the broker's confirm of a poison copy sent to exchange ${exchange}`);
    if (subscription.returned) {
      throw new Error(`exchange ${exchange} routed the poison copy to no queue; bind its dead-letter queue (declareTopology does)`);
    }
    this.confirmed++;
  }
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
