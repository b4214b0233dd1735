/* What the broker tests share: the broker from the integration set-up, unique names, bounded waits, reading a queue. */
import { randomBytes } from 'node:crypto';
import type { Channel, GetMessage } from 'amqplib';
import { testRabbitMqUrl } from '@cdk-fanout/testing';

/** The test broker's URL; undefined when this run skips the broker tests (the set-up printed why). */
export const brokerUrl = testRabbitMqUrl();
/** `describe`, or `describe.skip` without a broker. */
export const describeWithBroker = brokerUrl ? describe : describe.skip;

/** A suffix no other test file uses: all files share the broker. */
export const unique = (): string => randomBytes(4).toString('hex');

/** Polls `condition` every 50 ms; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Takes every message now in `queue` (acknowledged as read). */
export async function drainQueue(channel: Channel, queue: string, timeoutMs = 30_000): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message === false) return messages;
    messages.push(message);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms reading ${queue}`);
  }
}
