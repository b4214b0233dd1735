import type { Envelope } from '@cdk-fanout/runtime';

export const MQ_BROKER_ARN = 'arn:aws:mq:us-east-1:000000000000:broker:orders:b-9bcfa592-423a-4942-879d-eb284b418fc8';

const bytes = (text: string) => ({ bytes: [...Buffer.from(text, 'utf8')] });

/**
 * A message of Lambda's Amazon MQ for RabbitMQ event: base64 `data`, string headers as
 * `{ bytes }`; an envelope gets the publisher's message id and `type`/`version`/`source` headers.
 */
export function rabbitMqEventMessage(body: string | Envelope, options: { readonly redelivered?: boolean; readonly headers?: Record<string, unknown> } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = options.headers ?? (typeof body === 'string' ? {} : { type: bytes(body.type), version: bytes(body.version), source: bytes(body.source) });
  return {
    basicProperties: {
      contentType: 'application/json',
      contentEncoding: null,
      headers,
      deliveryMode: 2,
      priority: 0,
      correlationId: null,
      replyTo: null,
      expiration: null,
      messageId: typeof body === 'string' ? null : body.id,
      timestamp: 'Nov 30, 2026, 1:00:00 AM',
      type: typeof body === 'string' ? null : body.type,
      userId: null,
      appId: null,
      clusterId: null,
      bodySize: Buffer.byteLength(text),
    },
    redelivered: options.redelivered ?? false,
    data: Buffer.from(text, 'utf8').toString('base64'),
  };
}

/** Lambda's RabbitMQ event: messages keyed by `<queue>::<virtual host>`. */
export function rabbitMqEvent(messagesByQueue: Record<string, ReturnType<typeof rabbitMqEventMessage>[]>) {
  return { eventSource: 'aws:rmq' as const, eventSourceArn: MQ_BROKER_ARN, rmqMessagesByQueue: messagesByQueue };
}

/** A string header as Lambda shows it. */
export const rabbitMqHeader = bytes;
