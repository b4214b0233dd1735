/* The small decisions inside redrive, without SQS. */
import type { Message } from '@aws-sdk/client-sqs';
import { pickSourceQueue } from '../../runtime/src/dead-letter-source';
import { findTask } from '../../runtime/src/message-move-task';
import { checkDestination, chooseMethod } from '../../runtime/src/redrive';
import { pacingDelayMs, redriveMessageInput } from '../../runtime/src/redrive-copy';
import { isUnsupportedOperation } from '../../runtime/src/unsupported-operation';

describe('chooseMethod', () => {
  test('a standard queue without a limit: a message move task', () => {
    expect(chooseMethod({ url: 'q', fifo: false }, {})).toEqual({ method: 'message-move-task' });
  });
  test('FIFO, or a message limit: receive → send → delete, with the reason', () => {
    expect(chooseMethod({ url: 'q', fifo: true }, {})).toEqual({ method: 'receive-send-delete', reason: expect.stringMatching(/FIFO .* order of each message group/) });
    expect(chooseMethod({ url: 'q', fifo: false }, { maxMessages: 5 })).toEqual({ method: 'receive-send-delete', reason: expect.stringMatching(/cannot be limited/) });
  });
  test('a method asked for: receive → send → delete anywhere; a message move task only where one can do it', () => {
    expect(chooseMethod({ url: 'q', fifo: false }, { method: 'receive-send-delete' })).toEqual({ method: 'receive-send-delete', reason: 'moving message by message was asked for' });
    expect(chooseMethod({ url: 'q', fifo: false }, { method: 'message-move-task' })).toEqual({ method: 'message-move-task' });
    expect(() => chooseMethod({ url: 'q.fifo', fifo: true }, { method: 'message-move-task' })).toThrow('redrive: a message move task cannot redrive q.fifo: a FIFO queue is moved message by message to keep the order of each message group');
    expect(() => chooseMethod({ url: 'q', fifo: false }, { method: 'message-move-task', maxMessages: 1 })).toThrow(/cannot be limited/);
  });
});

test('checkDestination: another queue (by ARN), of the same type', () => {
  const queue = (url: string, fifo = url.endsWith('.fifo')) => ({ url, arn: `arn:aws:sqs:us-east-1:123456789012:${url.split('/').pop()}`, fifo });
  expect(() => checkDestination(queue('q.fifo'), queue('src.fifo'))).not.toThrow();
  expect(() => checkDestination(queue('q'), queue('src'))).not.toThrow();
  expect(() => checkDestination(queue('q'), queue('src.fifo'))).toThrow('q is a standard queue but src.fifo is a FIFO queue; redrive to a queue of the same type');
  expect(() => checkDestination(queue('https://sqs.us-east-1.amazonaws.com/123456789012/q'), queue('https://queue.amazonaws.com/123456789012/q')))
    .toThrow('refusing to redrive https://sqs.us-east-1.amazonaws.com/123456789012/q into itself: give the queue its messages belong in as the destination');
});

test('pickSourceQueue: exactly one, else an error that asks for the destination', () => {
  expect(pickSourceQueue('dlq', ['a'])).toBe('a');
  expect(() => pickSourceQueue('dlq', [])).toThrow('no queue names dlq as its dead-letter queue; give the destination queue explicitly');
  expect(() => pickSourceQueue('dlq', ['a', 'b'])).toThrow('2 queues use dlq as their dead-letter queue (a, b); give the destination queue explicitly');
});

test('pacingDelayMs: waits until the average rate since the start is at most the limit', () => {
  expect(pacingDelayMs(10, undefined, 0)).toBe(0);
  expect(pacingDelayMs(0, 10, 0)).toBe(0);
  expect(pacingDelayMs(10, 10, 400)).toBe(600);
  expect(pacingDelayMs(10, 10, 1500)).toBe(0);
});

test('findTask: ours while it runs (by handle), else the newest task of the source', () => {
  const older = { Status: 'COMPLETED', StartedTimestamp: 1 };
  const ours = { Status: 'RUNNING', TaskHandle: 'h', StartedTimestamp: 5 };
  const finished = { Status: 'COMPLETED', StartedTimestamp: 5 };
  expect(findTask([older, ours], 'h')).toBe(ours);
  expect(findTask([older, finished], 'h')).toBe(finished);
  expect(findTask([], 'h')).toBeUndefined();
});

test('isUnsupportedOperation: only "this endpoint has no such action", never a real failure', () => {
  expect(isUnsupportedOperation(Object.assign(new Error('Unknown action'), { name: 'InvalidAction' }))).toBe(true);
  expect(isUnsupportedOperation(Object.assign(new Error('x'), { name: 'UnsupportedOperation' }))).toBe(true);
  expect(isUnsupportedOperation(Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 501 } }))).toBe(true);
  expect(isUnsupportedOperation(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toBe(false);
  expect(isUnsupportedOperation(Object.assign(new Error('gone'), { name: 'QueueDoesNotExist' }))).toBe(false);
  expect(isUnsupportedOperation('InvalidAction')).toBe(false);
});

describe('redriveMessageInput', () => {
  const message: Message = {
    MessageId: 'm-1',
    Body: '{"id":"e-1"}',
    MessageAttributes: {
      'fanout.reason': { DataType: 'String', StringValue: 'schema' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
    },
    Attributes: { MessageGroupId: 'g-1', MessageDeduplicationId: 'original' },
  };

  test('standard destination: body and attributes, no group', () => {
    expect(redriveMessageInput(message, 'https://q/src', 'run')).toEqual({
      QueueUrl: 'https://q/src',
      MessageBody: '{"id":"e-1"}',
      MessageAttributes: {
        'fanout.reason': { DataType: 'String', StringValue: 'schema' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
      },
    });
  });

  test('FIFO destination: the same group, a deduplication id of this run (never the original one, which the queue may still remember)', () => {
    expect(redriveMessageInput(message, 'https://q/src.fifo', 'run-7')).toMatchObject({ MessageGroupId: 'g-1', MessageDeduplicationId: 'm-1.run-7' });
    expect(() => redriveMessageInput({ ...message, Attributes: {} }, 'https://q/src.fifo', 'run')).toThrow('message m-1 has no MessageGroupId, which the FIFO queue https://q/src.fifo requires');
  });
});
