/*
 * One message, two ways in: consumeRabbitMq's amqplib message (string headers as strings, byte
 * arrays as Buffers) and Lambda's Amazon MQ event (every string and byte header as `{ bytes }`).
 * The same handler must see the same attributes either way.
 */
import type { ConsumeMessage } from 'amqplib';
import type { SQSRecord } from 'aws-lambda';
import { createConsumer } from '@cdk-fanout/runtime';
import { amqpRecord } from '@cdk-fanout/runtime/rabbitmq';
import { captureLogs, envelope, lambdaContext, rabbitMqEvent, rabbitMqEventMessage, rabbitMqHeader } from '@cdk-fanout/testing';

const step = envelope('order.step', { name: 'x' });
const body = JSON.stringify(step);
const notUtf8 = Buffer.from([0xff, 0xfe, 0x00]);

/** The headers as amqplib decodes them on delivery. */
const amqpHeaders: Record<string, unknown> = {
  type: 'order.step', version: step.version, source: step.source, attempt: 3, ratio: 0.5, urgent: true, note: Buffer.from('café'), blob: notUtf8,
  nested: { a: 1 }, 'x-delivery-count': 1,
};
/** The same headers in Lambda's event. */
const eventHeaders: Record<string, unknown> = {
  type: rabbitMqHeader('order.step'), version: rabbitMqHeader(step.version), source: rabbitMqHeader(step.source), attempt: 3, ratio: 0.5, urgent: true,
  note: rabbitMqHeader('café'), blob: { bytes: [...notUtf8] }, nested: { a: 1 }, 'x-delivery-count': 1,
};

function seeing() {
  const seen: { attributes: Readonly<Record<string, string>>; messageAttributes: SQSRecord['messageAttributes'] }[] = [];
  const handler = createConsumer({
    idempotency: false,
    logger: captureLogs().logger,
    handlers: { 'order.step': { handle: (_data, ctx) => { seen.push({ attributes: ctx.attributes, messageAttributes: ctx.record.messageAttributes }); } } },
  });
  return { handler, seen };
}

test('consumeRabbitMq and the Lambda event path give a handler the same attributes for the same message', async () => {
  const lambda = seeing();
  await lambda.handler(rabbitMqEvent({ 'orders::/': [rabbitMqEventMessage(step, { headers: eventHeaders })] }), lambdaContext());

  const amqp = seeing();
  const message = {
    content: Buffer.from(body),
    fields: { deliveryTag: 1, redelivered: false, exchange: 'orders', routingKey: 'order.step', consumerTag: 'c-1' },
    properties: { contentType: 'application/json', headers: amqpHeaders, messageId: step.id },
  } as unknown as ConsumeMessage;
  // What consumeRabbitMq hands the pipeline for a delivery.
  await amqp.handler({ Records: [amqpRecord(message, body, 'orders', Date.now())] });

  expect(lambda.seen).toHaveLength(1);
  expect(amqp.seen).toHaveLength(1);
  expect(amqp.seen[0]).toEqual(lambda.seen[0]);
  // The rule: text as String (numbers and booleans as their text, bytes as UTF-8), bytes that are not UTF-8 as Binary (base64).
  expect(lambda.seen[0].attributes).toEqual({
    type: 'order.step', version: step.version, source: step.source, attempt: '3', ratio: '0.5', urgent: 'true', note: 'café', blob: notUtf8.toString('base64'),
  });
  expect(lambda.seen[0].messageAttributes.attempt.dataType).toBe('String');
  expect(lambda.seen[0].messageAttributes.blob).toMatchObject({ dataType: 'Binary', binaryValue: notUtf8.toString('base64') });
});
