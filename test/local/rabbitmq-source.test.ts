/* The local RabbitMQ event source's pure parts: which mappings are RabbitMQ, the virtual host URL, and Lambda's message shape. */
import type { ConsumeMessage } from 'amqplib';
import { rabbitMqMessageOf } from '@cdk-fanout/runtime';
import { rabbitMqEventMessage } from '@cdk-fanout/testing';
import type { LocalFunctionSpec } from '../../local/src/provision';
import { brokerEngineOf, lambdaRabbitMqMessage, rabbitMqEventSourceOf, virtualHostUrl } from '../../local/src/rabbitmq-source';
import { sourceBatch } from '../../runtime/src/sources/recognise';

const fn = { logicalId: 'Fn', name: 'fn', entry: '/x', exportName: 'handler', timeoutSeconds: 3, environment: {} } as LocalFunctionSpec;
const resources = {
  Broker: { Type: 'AWS::AmazonMQ::Broker', Properties: { EngineType: 'RABBITMQ' } },
  Active: { Type: 'AWS::AmazonMQ::Broker', Properties: { EngineType: 'ACTIVEMQ' } },
};

test('a mapping is RabbitMQ by its VIRTUAL_HOST or its RABBITMQ broker; defaults are Lambda\'s', () => {
  const withVhost = rabbitMqEventSourceOf('M', { Queues: ['billing'], EventSourceArn: 'arn:aws:mq:eu-west-1:1:broker:orders:b-1', SourceAccessConfigurations: [{ Type: 'VIRTUAL_HOST', URI: 'prod' }], BatchSize: 10 }, fn, undefined);
  expect(withVhost).toMatchObject({ queue: 'billing', virtualHost: 'prod', batchSize: 10, maxBatchingWindowSeconds: 0.5, brokerArn: 'arn:aws:mq:eu-west-1:1:broker:orders:b-1' });
  const byBroker = rabbitMqEventSourceOf('M', { Queues: ['billing'], EventSourceArn: 'local-unresolved:Broker.Arn' }, fn, brokerEngineOf(resources, { 'Fn::GetAtt': ['Broker', 'Arn'] }));
  expect(byBroker).toMatchObject({ virtualHost: '/', batchSize: 100, brokerArn: 'arn:aws:mq:us-east-1:000000000000:broker:M:b-local' });
  expect(rabbitMqEventSourceOf('M', { Queues: ['orders'] }, fn, brokerEngineOf(resources, { Ref: 'Active' }))).toBeUndefined();
  expect(rabbitMqEventSourceOf('M', { EventSourceArn: 'arn:aws:sqs:us-east-1:1:q' }, fn, undefined)).toBeUndefined();
});

test('the virtual host replaces the URL\'s path, escaped', () => {
  expect(virtualHostUrl('amqp://guest:guest@127.0.0.1:5672', '/')).toBe('amqp://guest:guest@127.0.0.1:5672/%2F');
  expect(virtualHostUrl('amqp://u:p@host:5671/other', 'prod')).toBe('amqp://u:p@host:5671/prod');
});

test('an AMQP message becomes a message of Lambda\'s event, with the fields of the documented example, and the runtime reads it back', () => {
  const envelope = { id: 'e-1', type: 'order.created', version: '1', timestamp: '2026-11-30T01:00:00.000Z', source: 'svc', data: { orderId: 'o-1' } };
  const content = Buffer.from(JSON.stringify(envelope));
  const message = {
    content,
    fields: { deliveryTag: 7, redelivered: true, exchange: 'orders', routingKey: 'order.created', consumerTag: 'c' },
    properties: { contentType: 'application/json', headers: { type: 'order.created', version: '1', source: 'svc', attempt: 2 }, deliveryMode: 2, messageId: 'e-1', timestamp: Date.UTC(2026, 10, 30, 1, 0, 0) / 1000 },
  } as unknown as ConsumeMessage;
  const converted = lambdaRabbitMqMessage(message);
  const documented = rabbitMqEventMessage(envelope);
  expect(Object.keys(converted.basicProperties).sort()).toEqual(Object.keys(documented.basicProperties).sort());
  expect(converted.basicProperties.headers).toEqual({ ...documented.basicProperties.headers, attempt: 2 });
  expect(converted.basicProperties.timestamp).toBe('Nov 30, 2026, 1:00:00 AM');
  expect(converted.basicProperties.bodySize).toBe(content.length);
  expect(converted.redelivered).toBe(true);

  const [record] = sourceBatch({ eventSource: 'aws:rmq', eventSourceArn: 'arn:aws:mq:us-east-1:000000000000:broker:orders:b-1', rmqMessagesByQueue: { 'orders::/': [converted] } }).records;
  expect(JSON.parse(record.body)).toEqual(envelope);
  expect(record.messageId).toBe('e-1');
  expect(record.messageAttributes.type.stringValue).toBe('order.created');
  expect(rabbitMqMessageOf(record)?.message.redelivered).toBe(true);
});
