/*
 * SQS accepts message bodies with characters beyond the Basic Multilingual Plane (emoji); fauxqs
 * 1.9.2 refuses them, and @cdk-fanout/local corrects that when it starts fauxqs. Without it, an
 * emoji poison message would never reach a dead-letter queue locally and redrive would stop at it.
 */
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createConsumer, redrive } from '@cdk-fanout/runtime';
import { createSourceAndDlq, drainQueue, lambdaContext, sqsClient, sqsEvent, sqsRecord } from '@cdk-fanout/testing';

const sqs = sqsClient();
afterAll(() => sqs.destroy());

test('bodies with emoji are accepted by SendMessage and SendMessageBatch; what SQS refuses is still refused', async () => {
  const { source } = await createSourceAndDlq(sqs, 'unicode');
  await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'box \u{1F4E6}' }));
  const batch = await sqs.send(new SendMessageBatchCommand({ QueueUrl: source.url, Entries: [{ Id: 'a', MessageBody: '\u{1F600}' }, { Id: 'b', MessageBody: 'nul \u0000' }] }));
  expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['a']);
  expect(batch.Failed?.map((entry) => [entry.Id, entry.Code])).toEqual([['b', 'InvalidMessageContents']]);
  await expect(sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'lone \uD800' }))).rejects.toThrow(/Invalid characters/);
  expect((await drainQueue(sqs, source.url)).map((message) => message.Body)).toEqual(['box \u{1F4E6}', '\u{1F600}']);
});

test('a poison message with an emoji reaches the dead-letter queue with its reason, and redrives back', async () => {
  const { source, dlq } = await createSourceAndDlq(sqs, 'unicode-poison');
  const handler = createConsumer({ consumerName: 'billing', deadLetterQueueUrl: dlq.url, sqsClient: sqs, handlers: {} });
  const poison = sqsRecord('not json \u{1F4E6}');

  expect(await handler(sqsEvent(poison), lambdaContext())).toEqual({ batchItemFailures: [] });
  const result = await redrive({ queueUrl: dlq.url, destinationQueueUrl: source.url, client: sqs });

  expect(result).toMatchObject({ method: 'receive-send-delete', moved: 1 });
  const [back] = await drainQueue(sqs, source.url);
  expect(back.Body).toBe('not json \u{1F4E6}');
});
