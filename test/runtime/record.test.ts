import { PoisonMessageError } from '@cdk-fanout/runtime';
import { unwrapRecord } from '../../runtime/src/record';

const envelope = { id: 'e-1', type: 'order.created', version: '1', timestamp: '2026-11-27T10:00:00Z', source: 'order-service', data: {} };

describe('unwrapRecord', () => {
  test('raw delivery: the parsed body, attributes from the SQS message attributes', () => {
    const unwrapped = unwrapRecord({
      body: JSON.stringify(envelope),
      messageAttributes: {
        type: { dataType: 'String', stringValue: 'order.created' },
        blob: { dataType: 'Binary', binaryValue: 'AQID' },
      },
    });
    expect(unwrapped.envelope).toEqual(envelope);
    expect(unwrapped.attributes).toEqual({ type: 'order.created', blob: 'AQID' });
  });

  test('SNS notification (non-raw subscription): the inner Message, attributes from the notification', () => {
    const notification = {
      Type: 'Notification',
      MessageId: 'm-1',
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
      Message: JSON.stringify(envelope),
      Timestamp: '2026-11-27T10:00:00.000Z',
      MessageAttributes: { type: { Type: 'String', Value: 'order.created' }, source: { Type: 'String', Value: 'order-service' } },
    };
    const unwrapped = unwrapRecord({ body: JSON.stringify(notification), messageAttributes: {} });
    expect(unwrapped.envelope).toBe(JSON.stringify(envelope));
    expect(unwrapped.attributes).toEqual({ type: 'order.created', source: 'order-service' });
  });

  test('an envelope whose data looks like a notification is not unwrapped', () => {
    const tricky = { ...envelope, data: { Type: 'Notification', TopicArn: 'x', MessageId: 'y', Message: 'z' } };
    expect(unwrapRecord({ body: JSON.stringify(tricky), messageAttributes: {} }).envelope).toEqual(tricky);
    const partial = { Type: 'Notification', Message: 'not enough fields' };
    expect(unwrapRecord({ body: JSON.stringify(partial), messageAttributes: {} }).envelope).toEqual(partial);
  });

  test('a body that is not JSON is poison (malformed-json)', () => {
    expect(() => unwrapRecord({ body: 'hello', messageAttributes: {} })).toThrow(PoisonMessageError);
    expect(() => unwrapRecord({ body: 'hello', messageAttributes: {} })).toThrow(expect.objectContaining({ reason: 'malformed-json' }));
  });
});
