/*
 * Lambda's Amazon MQ for RabbitMQ event (`rmqMessagesByQueue`, base64 `data`, string headers as
 * `{ bytes }`): no partial batch response exists, so poison goes to the DLQ and any retryable
 * failure fails the invocation (the broker redelivers the batch). The DLQ client is a fake.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createConsumer, PoisonMessageError, rabbitMqMessageOf, type CreateConsumerOptions } from '@cdk-fanout/runtime';
import { captureLogs, envelope, lambdaContext, MQ_BROKER_ARN, rabbitMqEvent, rabbitMqEventMessage, rabbitMqHeader } from '@cdk-fanout/testing';

const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/orders-billing-dlq';

type Fate = 'ok' | 'fail' | 'poison';

function fakeSqs() {
  const sent: { MessageBody?: string; MessageAttributes?: Record<string, { StringValue?: string }> }[] = [];
  const client = { send: async (command: { input: (typeof sent)[number] }) => { sent.push(command.input); return {}; } } as unknown as SQSClient;
  return { sent, client };
}

function consumer(options: Omit<CreateConsumerOptions, 'handlers'> = {}) {
  const dlq = fakeSqs();
  const logs = captureLogs();
  const ran: string[] = [];
  const handler = createConsumer({
    consumerName: 'rabbit',
    idempotency: false,
    deadLetterQueueUrl: DLQ_URL,
    sqsClient: dlq.client,
    logger: logs.logger,
    handlers: {
      'order.step': {
        handle: (data) => {
          const step = data as { name: string; fate: Fate };
          ran.push(step.name);
          if (step.fate === 'fail') throw new Error(`${step.name} failed`);
          if (step.fate === 'poison') throw new PoisonMessageError('non-retryable', `${step.name} is poison`);
        },
      },
    },
    ...options,
  });
  return { handler, dlq, logs, ran };
}

const message = (name: string, fate: Fate = 'ok') => rabbitMqEventMessage(envelope('order.step', { name, fate }));

test('every message of every queue is handled; success returns nothing', async () => {
  const { handler, ran } = consumer();
  const response = await handler(rabbitMqEvent({ 'orders::/': [message('a1'), message('a2')], 'refunds::billing': [message('b1')] }), lambdaContext());
  expect(response).toBeUndefined();
  expect(ran.sort()).toEqual(['a1', 'a2', 'b1']);
});

test('poison goes to the DLQ with its reason and headers; the invocation succeeds', async () => {
  const { handler, dlq, ran } = consumer();
  await expect(handler(rabbitMqEvent({ 'orders::/': [message('a1', 'poison'), message('a2'), rabbitMqEventMessage('not json')] }), lambdaContext())).resolves.toBeUndefined();
  expect(ran.sort()).toEqual(['a1', 'a2']);
  expect(dlq.sent.map((sent) => sent.MessageAttributes?.['fanout.reason']?.StringValue).sort()).toEqual(['malformed-json', 'non-retryable']);
  expect(dlq.sent.find((sent) => sent.MessageAttributes?.['fanout.reason']?.StringValue === 'non-retryable')?.MessageAttributes?.type?.StringValue).toBe('order.step');
});

test('a retryable failure fails the invocation after every other record ran, so the broker redelivers the batch', async () => {
  const { handler, ran, logs } = consumer();
  await expect(handler(rabbitMqEvent({ 'orders::/': [message('a1'), message('a2', 'fail'), message('a3')] }), lambdaContext()))
    .rejects.toThrow(/1 of 3 RabbitMQ messages failed \(handler-error\)/);
  expect(ran.sort()).toEqual(['a1', 'a2', 'a3']);
  expect(logs.lines.find((line) => line.message === 'batch done')?.fields).toMatchObject({ processed: 2, failed: 1 });
});

test('without a DLQ URL poison fails the invocation (the broker\'s delivery limit and dead-letter exchange take it)', async () => {
  const { handler } = consumer({ deadLetterQueueUrl: undefined });
  await expect(handler(rabbitMqEvent({ 'orders::/': [message('a1', 'poison')] }), lambdaContext())).rejects.toThrow(/poison-without-dead-letter-queue/);
});

test('headers ({ bytes }, numbers, booleans) become string attributes; ctx gives the message and its queue', async () => {
  let seen: { attributes: Readonly<Record<string, string>>; origin?: ReturnType<typeof rabbitMqMessageOf>; arn: string; receiveCount: string } | undefined;
  const handler = createConsumer({
    idempotency: false,
    logger: captureLogs().logger,
    handlers: { 'order.step': { handle: (_data, ctx) => { seen = { attributes: ctx.attributes, origin: rabbitMqMessageOf(ctx), arn: ctx.record.eventSourceARN, receiveCount: ctx.record.attributes.ApproximateReceiveCount }; } } },
  });
  const step = envelope('order.step', { name: 'x' });
  const delivered = rabbitMqEventMessage(step, { redelivered: true, headers: { type: rabbitMqHeader('order.step'), attempt: 3, urgent: true, 'x-delivery-count': 1 } });
  await handler(rabbitMqEvent({ 'orders::/': [delivered] }), lambdaContext());
  expect(seen?.attributes).toEqual({ type: 'order.step', attempt: '3', urgent: 'true' });
  expect(seen?.origin).toEqual({ message: delivered, queue: 'orders::/' });
  expect(seen?.arn).toBe(MQ_BROKER_ARN);
  expect(seen?.receiveCount).toBe('2');
});
