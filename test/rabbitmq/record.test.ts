/*
 * An AMQP message becomes the record the consumer pipeline reads, losing nothing: the message
 * itself stays reachable from the record (amqpMessageOf).
 */
import type { ConsumeMessage } from 'amqplib';
import { amqpMessageOf, amqpRecord } from '@cdk-fanout/runtime/rabbitmq';
import { unwrapRecord } from '@cdk-fanout/runtime/envelope';

function message(properties: Record<string, unknown>, redelivered = false): ConsumeMessage {
  return {
    content: Buffer.from('{"id":"e-1"}'),
    fields: { deliveryTag: 7, redelivered, exchange: 'orders', routingKey: 'order.created', consumerTag: 'c-1' },
    properties: {
      contentType: 'application/json', contentEncoding: undefined, headers: {}, deliveryMode: 2, priority: undefined, correlationId: undefined,
      replyTo: undefined, expiration: undefined, messageId: undefined, timestamp: undefined, type: undefined, userId: undefined, appId: undefined, clusterId: undefined,
      ...properties,
    },
  } as ConsumeMessage;
}

test('the record: body, ids, attributes from the headers, receive count from x-delivery-count', () => {
  const original = message({
    messageId: 'e-1',
    timestamp: 1_700_000_000,
    appId: 'order-service',
    headers: { type: 'order.created', version: '1', source: 'order-service', attempt: 2, urgent: true, blob: Buffer.from([0xff, 0xfe]), note: Buffer.from('café'), nested: { a: 1 }, 'x-delivery-count': 2, 'x-death': [{ count: 1 }] },
  }, true);
  const record = amqpRecord(original, '{"id":"e-1"}', 'billing', 1_700_000_123_000);
  expect(record).toMatchObject({
    messageId: 'e-1',
    receiptHandle: '7',
    body: '{"id":"e-1"}',
    attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1700000000000', SenderId: 'order-service', ApproximateFirstReceiveTimestamp: '1700000123000' },
    eventSource: 'amqp',
    eventSourceARN: 'amqp:queue/billing',
  });
  expect(record.messageAttributes).toEqual({
    type: { dataType: 'String', stringValue: 'order.created', stringListValues: [], binaryListValues: [] },
    version: { dataType: 'String', stringValue: '1', stringListValues: [], binaryListValues: [] },
    source: { dataType: 'String', stringValue: 'order-service', stringListValues: [], binaryListValues: [] },
    attempt: { dataType: 'String', stringValue: '2', stringListValues: [], binaryListValues: [] },
    urgent: { dataType: 'String', stringValue: 'true', stringListValues: [], binaryListValues: [] },
    blob: { dataType: 'Binary', binaryValue: '//4=', stringListValues: [], binaryListValues: [] },
    note: { dataType: 'String', stringValue: 'café', stringListValues: [], binaryListValues: [] },
  });
  // What the handlers see as ctx.attributes.
  expect(unwrapRecord(record).attributes).toEqual({ type: 'order.created', version: '1', source: 'order-service', attempt: '2', urgent: 'true', blob: '//4=', note: 'café' });
  // Nothing is lost: the nested header, the broker's headers, the routing key, the bytes.
  expect(amqpMessageOf(record)).toBe(original);
  expect(amqpMessageOf({ record })?.properties.headers?.nested).toEqual({ a: 1 });
});

test('without a message id, delivery count or timestamp', () => {
  const first = amqpRecord(message({}), '{}', 'billing', 5000);
  expect(first.messageId).toBe('amqp-delivery-7');
  expect(first.attributes).toMatchObject({ ApproximateReceiveCount: '1', SentTimestamp: '5000', SenderId: '' });
  expect(amqpRecord(message({}, true), '{}', 'billing', 5000).attributes.ApproximateReceiveCount).toBe('2');
});

test('a record that did not come from RabbitMQ has no AMQP message', () => {
  const record = amqpRecord(message({}), '{}', 'billing', 0);
  expect(amqpMessageOf({ ...record })).toBeUndefined();
});
