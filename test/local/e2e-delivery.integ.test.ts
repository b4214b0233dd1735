import { randomUUID } from 'node:crypto';
import type { LocalDeployment } from '@cdk-fanout/local';
import { synthTestApp } from './app/test-app';
import { effectsOf, messagesIn, publisherFor, queuesOf, peek, report, startTestStack, waitFor } from './e2e-support';

const order = (i: number) => ({ orderId: `o-${i}` });

// Retries wait out visibility timeouts and locks: minutes on a loaded machine, not seconds.
jest.setTimeout(240_000);

describe('end to end: delivery', () => {
  let local: LocalDeployment | undefined;
  afterEach(async () => {
    await local?.stop();
    local = undefined;
  });

  test('1. every message delivered three times or more, three consumers: 0 double effects, 0 lost', async () => {
    const consumers = ['Billing', 'Inventory', 'Shipping'];
    const cdkOut = synthTestApp({ consumers: consumers.map((id) => ({ id, maxReceiveCount: 10 })) });
    local = await startTestStack(cdkOut, { redeliverRate: 0.5 });
    const publisher = publisherFor(local);
    const ids = Array.from({ length: 40 }, () => randomUUID());
    // The producer retries: each envelope is published three times with the same id.
    for (let copy = 0; copy < 3; copy++) {
      await publisher.publishBatch(ids.map((id, i) => ({ type: 'order.created', data: order(i), id })));
    }
    for (const consumer of consumers) {
      const { queue, deadLetterQueue } = queuesOf(local, consumer);
      await waitFor(`${consumer} to drain`, async () => (await messagesIn(local!, queue)) === 0);
      const effects = await effectsOf(local, consumer.toLowerCase());
      const received = local.pollers.find((p) => p.mapping.queue === queue)!.stats.received;
      const figures = report(`delivery ${consumer}`, {
        sent: ids.length,
        deliveries: received,
        processed: ids.filter((id) => effects.has(id)).length,
        lost: ids.filter((id) => !effects.has(id)).length,
        doubleEffects: [...effects.values()].filter((n) => n > 1).length,
        inDeadLetterQueue: (await peek(local, deadLetterQueue)).length,
      });
      expect(received).toBeGreaterThan(3 * ids.length);
      expect(figures).toMatchObject({ processed: ids.length, lost: 0, doubleEffects: 0, inDeadLetterQueue: 0 });
    }
  });
});
