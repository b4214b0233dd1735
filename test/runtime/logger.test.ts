/*
 * The logger never throws, whatever a handler throws or logs; and one record's odd failure never
 * fails the other records of its batch.
 */
import { createConsumer } from '@cdk-fanout/runtime';
import { envelope, lambdaContext, sqsEvent, sqsRecord } from '@cdk-fanout/testing';
import { createJsonLogger, describeThrown, MAX_LOGGED_STRING } from '../../runtime/src/logger';

function logged(fields: Record<string, unknown>): Record<string, unknown> {
  const lines: string[] = [];
  createJsonLogger({ level: 'DEBUG', write: (line) => lines.push(line) }).error('handler failed', fields);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

describe('a log line is written whatever the fields hold', () => {
  test('a circular object: the cycle is marked, the rest is kept', () => {
    const response: Record<string, unknown> = { status: 500 };
    response.request = { response };
    expect(logged({ error: response }).error).toEqual({ status: 500, request: { response: '[Circular]' } });
  });

  test('the same object twice, side by side, is not a cycle', () => {
    const shared = { a: 1 };
    expect(logged({ one: shared, two: shared })).toMatchObject({ one: { a: 1 }, two: { a: 1 } });
  });

  test('a BigInt is written as its digits', () => {
    expect(logged({ error: { amount: 12345678901234567890n } }).error).toEqual({ amount: '12345678901234567890' });
  });

  test('an Error keeps name, message and cause, even a cause that points back to it', () => {
    const error = new Error('outer');
    (error as { cause?: unknown }).cause = error;
    expect(logged({ error }).error).toMatchObject({ name: 'Error', message: 'outer', cause: '[Circular]' });
  });

  test('a getter that throws: the line says the fields could not be written, and why', () => {
    const hostile = { get secret(): string { throw new Error('no access'); } };
    const line = logged({ error: hostile, messageId: 'm-1' });
    expect(line).toMatchObject({ level: 'ERROR', message: 'handler failed', logError: 'fields could not be written: Error: no access' });
  });

  test('a huge string is cut, saying how much was left out', () => {
    const error = logged({ error: 'x'.repeat(MAX_LOGGED_STRING + 10) }).error as string;
    expect(error).toBe(`${'x'.repeat(MAX_LOGGED_STRING)}…(10 more characters)`);
  });

  test('describeThrown: values without a usable toString', () => {
    expect(describeThrown(Object.create(null))).toBe('[object Object]');
    expect(describeThrown({ toString() { throw new Error('no'); } })).toBe('[object Object]');
    expect(describeThrown(new RangeError('r'))).toBe('RangeError: r');
    expect(describeThrown(42n)).toBe('42');
  });
});

test.each<[string, () => unknown]>([
  ['a circular object', () => { const o: Record<string, unknown> = {}; o.self = o; return o; }],
  ['an object holding a BigInt', () => ({ amount: 1n })],
  ['an object whose getter throws', () => ({ get field(): never { throw new Error('getter'); } })],
  ['an object with no prototype', () => Object.create(null)],
  ['undefined', () => undefined],
])('a handler that throws %s fails its record only; the others are processed', async (_name, thrown) => {
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const handler = createConsumer({
      consumerName: 'billing',
      handlers: {
        'order.created': { handle: async (data: unknown) => { if ((data as { bad?: boolean }).bad) throw thrown(); } },
      },
    });
    const bad = sqsRecord(envelope('order.created', { bad: true }));
    const good = sqsRecord(envelope('order.created', { bad: false }));
    await expect(handler(sqsEvent(bad, good), lambdaContext())).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
  } finally {
    write.mockRestore();
  }
});
