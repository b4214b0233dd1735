/* What `dlq inspect` makes of one message, whatever its body. */
import { dlqRow } from '../../cli/src/commands/dlq-row';

const NOW = Date.parse('2026-01-02T00:00:00.000Z');
const SENT = NOW - 90_000;
const envelope = { id: 'e-1', type: 'order.created', version: '1', timestamp: '2026-01-01T00:00:00Z', source: 'order-service', data: {} };
const received = (body: string, extra: object = {}) => ({
  MessageId: 'm-1',
  Body: body,
  Attributes: { SentTimestamp: String(SENT), ApproximateReceiveCount: '6' },
  ...extra,
});

test('an envelope with the poison attributes', () => {
  const row = dlqRow(received(JSON.stringify(envelope), {
    MessageAttributes: { 'fanout.reason': { DataType: 'String', StringValue: 'non-retryable' }, 'fanout.error': { DataType: 'String', StringValue: 'order o-1 does not exist' } },
  }), NOW);
  expect(row).toEqual({
    messageId: 'm-1', id: 'e-1', type: 'order.created', source: 'order-service', reason: 'non-retryable', error: 'order o-1 does not exist',
    // The inspection's own receive is not counted.
    receiveCount: 5, sentAt: new Date(SENT).toISOString(), ageSeconds: 90, body: JSON.stringify(envelope),
  });
});

test('an SNS notification is unwrapped like the consumer does', () => {
  const body = JSON.stringify({ Type: 'Notification', TopicArn: 'arn:t', MessageId: 'n-1', Message: JSON.stringify(envelope) });
  expect(dlqRow(received(body), NOW)).toMatchObject({ id: 'e-1', type: 'order.created', source: 'order-service', body });
});

test('an invalid envelope keeps the fields it has and says what is wrong', () => {
  const row = dlqRow(received(JSON.stringify({ ...envelope, type: 'OrderCreated' })), NOW);
  expect(row).toMatchObject({ id: 'e-1', type: 'OrderCreated', source: 'order-service', problem: expect.stringMatching(/^type must be lowercase noun\.verb/) });
});

test('a body that is not JSON, or not an object, still gets a row', () => {
  expect(dlqRow(received('oops'), NOW)).toMatchObject({ messageId: 'm-1', problem: expect.stringMatching(/^body is not JSON/), receiveCount: 5, body: 'oops' });
  expect(dlqRow(received('[1,2]'), NOW)).toMatchObject({ problem: 'envelope must be a JSON object, got an array' });
  expect(dlqRow({ MessageId: 'm-2' }, NOW)).toEqual({ messageId: 'm-2', problem: expect.stringMatching(/^body is not JSON/), receiveCount: 0, body: '' });
});

test('a claim check, raw or SNS-wrapped, in either pointer class: where its body is, no envelope problem', () => {
  const pointer = JSON.stringify(['software.amazon.payloadoffloading.PayloadS3Pointer', { s3BucketName: 'payloads', s3Key: 'prod/order.created/k-1' }]);
  const legacy = JSON.stringify(['com.amazon.sqs.javamessaging.MessageS3Pointer', { s3BucketName: 'payloads', s3Key: 'k-2' }]);
  const wrapped = JSON.stringify({ Type: 'Notification', TopicArn: 'arn:t', MessageId: 'n-1', Message: pointer });
  expect(dlqRow(received(pointer), NOW)).toMatchObject({ payload: { bucket: 'payloads', key: 'prod/order.created/k-1' }, body: pointer });
  expect(dlqRow(received(pointer), NOW)).not.toHaveProperty('problem');
  expect(dlqRow(received(wrapped), NOW).payload).toEqual({ bucket: 'payloads', key: 'prod/order.created/k-1' });
  expect(dlqRow(received(legacy), NOW).payload).toEqual({ bucket: 'payloads', key: 'k-2' });
});

test('a malformed claim check is shown as the consumer rejected it', () => {
  const row = dlqRow(received('["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"payloads"}]'), NOW);
  expect(row.payload).toBeUndefined();
  expect(row.problem).toMatch(/claim check without a bucket name and key/);
});
