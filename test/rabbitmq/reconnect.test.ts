/* consumeRabbitMq's waits between reconnection attempts, and which failures end it: pure functions, no broker. */
import { reconnectDelayMs } from '@cdk-fanout/runtime/rabbitmq';
import { seededRandom, testSeed } from '@cdk-fanout/testing';
import { connectionGone } from '../../runtime/src/rabbitmq/reconnect';

const settings = { initialDelayMs: 100, maxDelayMs: 30_000 };

test('each wait is half to all of the initial delay doubled per attempt, never above the maximum', () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  for (let attempt = 1; attempt <= 40; attempt++) {
    const ceiling = Math.min(30_000, 100 * 2 ** (attempt - 1));
    const delay = reconnectDelayMs(attempt, settings, random);
    expect([attempt, delay >= ceiling / 2 && delay <= ceiling]).toEqual([attempt, true]);
  }
});

test('the extremes of the jitter, and the same seed gives the same waits', () => {
  expect([1, 2, 3, 9, 10].map((attempt) => reconnectDelayMs(attempt, settings, () => 0))).toEqual([50, 100, 200, 12_800, 15_000]);
  expect([1, 2, 3, 9, 10].map((attempt) => reconnectDelayMs(attempt, settings, () => 0.999999))).toEqual([100, 200, 400, 25_600, 30_000]);
  const seed = testSeed();
  const run = () => { const random = seededRandom(seed); return [1, 2, 3, 4].map((attempt) => reconnectDelayMs(attempt, settings, random)); };
  expect(run()).toEqual(run());
});

test('a closed connection without amqplib recovery ends the consumer; with recovery, or another error, it tries again', () => {
  const illegal = Object.assign(new Error('Connection closed (by server)'), { name: 'IllegalOperationError' });
  expect(connectionGone(illegal, {})).toBe(true);
  expect(connectionGone(illegal, { waitForConnect: () => undefined })).toBe(false);
  expect(connectionGone(new Error('Operation failed: QueueDeclare; 404'), {})).toBe(false);
});
