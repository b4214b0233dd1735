import { randomUUID } from 'node:crypto';
import type { LocalDeployment } from '@cdk-fanout/local';
import { synthTestApp } from './app/test-app';
import { effectsOf, handlerTotals, messagesIn, publisherFor, queuesOf, peek, report, startTestStack, waitFor } from './e2e-support';

const order = (i: number) => ({ orderId: `o-${i}` });

// Retries wait out visibility timeouts and locks: minutes on a loaded machine, not seconds.
jest.setTimeout(240_000);

describe('end to end: faults', () => {
  let local: LocalDeployment | undefined;
  afterEach(async () => {
    await local?.stop();
    local = undefined;
  });

  async function publishAndDrain(consumers: readonly string[], count: number) {
    const ids = Array.from({ length: count }, () => randomUUID());
    await publisherFor(local!).publishBatch(ids.map((id, i) => ({ type: 'order.created', data: order(i), id })));
    for (const consumer of consumers) {
      const { queue } = queuesOf(local!, consumer);
      await waitFor(`${consumer} to drain`, async () => (await messagesIn(local!, queue)) === 0, 120_000);
    }
    return ids;
  }

  async function figuresOf(consumer: string, ids: readonly string[]) {
    const effects = await effectsOf(local!, consumer.toLowerCase());
    const deadLetters = await peek(local!, queuesOf(local!, consumer).deadLetterQueue);
    const deadIds = new Set(deadLetters.map((m) => JSON.parse(m.Body!).id));
    const poller = local!.pollers.find((p) => p.mapping.queue === queuesOf(local!, consumer).queue)!;
    return {
      sent: ids.length,
      processed: ids.filter((id) => effects.has(id)).length,
      lost: ids.filter((id) => !effects.has(id) && !deadIds.has(id)).length,
      doubleEffects: [...effects.values()].filter((n) => n > 1).length,
      extraEffects: [...effects.values()].reduce((sum, n) => sum + n - 1, 0),
      inDeadLetterQueue: deadLetters.length,
      crashedInvocations: poller.stats.failedInvocations,
      completionWriteFailures: handlerTotals(local!, consumer.toLowerCase()).completionWriteFailures,
      // Poison carries its reason; a message SQS moved after maxReceiveCount has none (its failures are in the logs).
      deadLettersWithoutReason: deadLetters.filter((m) => !m.MessageAttributes?.['fanout.reason']).length,
    };
  }

  test('2. crash between effect and completion: plain mode repeats at most the unwritten completions of the crashed batch, transactional mode never', async () => {
    const cdkOut = synthTestApp({
      consumers: [
        { id: 'Plain', mode: 'plain', batchSize: 1, maxReceiveCount: 10 },
        { id: 'Batched', mode: 'plain', batchSize: 10, maxReceiveCount: 10 },
        { id: 'Transact', mode: 'transact', batchSize: 1, maxReceiveCount: 10 },
      ],
    });
    local = await startTestStack(cdkOut, { faults: { crashBeforeCompletionRate: 0.25 } });
    const ids = await publishAndDrain(['Plain', 'Batched', 'Transact'], 30);
    const plain = report('crash plain', await figuresOf('Plain', ids));
    const batched = report('crash plain, batches of 10 (batched completions)', await figuresOf('Batched', ids));
    const transact = report('crash transact', await figuresOf('Transact', ids));
    // A crash loses the completions of its batch not yet written: at most the batch's records. (Few
    // batched completion requests may draw no crash; the preload's recognition of them is unit-tested.)
    expect(batched).toMatchObject({ processed: ids.length, lost: 0, inDeadLetterQueue: 0 });
    expect(batched.extraEffects).toBeLessThanOrEqual(batched.crashedInvocations * 10);
    expect(plain.crashedInvocations).toBeGreaterThan(0);
    expect(plain).toMatchObject({ processed: ids.length, lost: 0, inDeadLetterQueue: 0 });
    expect(plain.extraEffects).toBeLessThanOrEqual(plain.crashedInvocations);
    expect(transact.crashedInvocations).toBeGreaterThan(0);
    expect(transact).toMatchObject({ processed: ids.length, lost: 0, doubleEffects: 0, inDeadLetterQueue: 0 });
  });

  test('3. a fifth of DynamoDB calls throttled: 0 lost, every message processed or in the DLQ with a reason', async () => {
    // Throttled calls are retried with backoff: a generous function timeout keeps a slow batch from
    // timing out (a timeout is a crash, which plain mode may repeat: see test 2). The short
    // visibility timeout brings failed records back quickly; the redeliveries it causes while a
    // slow batch is still running count as receives, hence the high maxReceiveCount.
    const slowButAlive = { timeoutSeconds: 30, visibilitySeconds: 30, visibilityOverrideSeconds: 5, maxReceiveCount: 20 };
    const cdkOut = synthTestApp({ consumers: [{ id: 'Billing', ...slowButAlive }, { id: 'Ledger', mode: 'transact', ...slowButAlive }] });
    local = await startTestStack(cdkOut, { faults: { dynamodbErrorRate: 0.2 } });
    const ids = await publishAndDrain(['Billing', 'Ledger'], 60);
    const plain = report('throttled plain', await figuresOf('Billing', ids));
    const transact = report('throttled transact', await figuresOf('Ledger', ids));
    for (const figures of [plain, transact]) {
      expect(figures).toMatchObject({ lost: 0, deadLettersWithoutReason: 0 });
      expect(figures.processed + figures.inDeadLetterQueue).toBe(ids.length);
    }
    // Plain mode: when marking a record completed fails after the SDK's retries, the effect stands
    // and a later redelivery (after the lock) may repeat it; nothing else can. Transactional: never.
    expect(plain.extraEffects).toBeLessThanOrEqual(plain.completionWriteFailures);
    expect(transact.doubleEffects).toBe(0);
  });

  test('6. ten concurrent invocations on one queue with a visibility timeout shorter than the work: 0 double effects', async () => {
    const cdkOut = synthTestApp({
      consumers: [{ id: 'Billing', sleepMs: 1500, visibilityOverrideSeconds: 1, maxReceiveCount: 20, batchSize: 5 }],
    });
    local = await startTestStack(cdkOut, { polling: { defaultConcurrency: 10 } });
    const ids = await publishAndDrain(['Billing'], 20);
    const figures = report('ten concurrent invocations', { ...await figuresOf('Billing', ids), deliveries: local.pollers.reduce((n, p) => n + p.stats.received, 0) });
    expect(figures.deliveries).toBeGreaterThan(ids.length);
    expect(figures).toMatchObject({ processed: ids.length, lost: 0, doubleEffects: 0, inDeadLetterQueue: 0 });
  });
});
