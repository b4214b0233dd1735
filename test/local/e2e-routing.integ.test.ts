import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { LocalDeployment } from '@cdk-fanout/local';
import { synthTestApp } from './app/test-app';
import { appliedOrder, attemptsOf, effectsOf, messagesIn, poisonPills, publisherFor, queuesOf, peek, report, startTestStack, topicOf, waitFor } from './e2e-support';

// Retries wait out visibility timeouts and locks: minutes on a loaded machine, not seconds.
jest.setTimeout(240_000);

describe('end to end: routing, poison and order', () => {
  let local: LocalDeployment | undefined;
  afterEach(async () => {
    await local?.stop();
    local = undefined;
  });

  test('4. one poison pill of each kind among healthy messages: each in the DLQ with its reason, the rest processed', async () => {
    local = await startTestStack(synthTestApp({ consumers: [{ id: 'Billing' }] }));
    const publisher = publisherFor(local);
    const { queue, deadLetterQueue } = queuesOf(local, 'Billing');
    const conflictId = randomUUID();
    await publisher.publish('order.created', { orderId: 'first' }, { id: conflictId });
    await waitFor('the first copy to be processed', async () => (await effectsOf(local!, 'billing')).has(conflictId));

    const raw = (body: string, type = 'order.created') => local!.clients.sns.send(new PublishCommand({
      TopicArn: topicOf(local!),
      Message: body,
      MessageAttributes: { type: { DataType: 'String', StringValue: type } },
    }));
    const pills = poisonPills({
      raw,
      conflict: () => publisher.publish('order.created', { orderId: 'different' }, { id: conflictId }),
      nonRetryable: () => publisher.publish('order.created', { orderId: 'p', poison: true }),
    });
    const healthy = Array.from({ length: 20 }, () => randomUUID());
    await publisher.publishBatch(healthy.slice(0, 10).map((id, i) => ({ type: 'order.created', data: { orderId: `h-${i}` }, id })));
    for (const pill of Object.values(pills)) {
      await pill();
    }
    await publisher.publishBatch(healthy.slice(10).map((id, i) => ({ type: 'order.created', data: { orderId: `h-${i + 10}` }, id })));

    await waitFor('the queue to drain', async () => (await messagesIn(local!, queue)) === 0);
    const effects = await effectsOf(local, 'billing');
    const deadLetters = await peek(local, deadLetterQueue);
    const reasons = deadLetters.map((m) => m.MessageAttributes?.['fanout.reason']?.StringValue).sort();
    report('poison', {
      sent: healthy.length + Object.keys(pills).length,
      processed: healthy.filter((id) => effects.has(id)).length,
      lost: healthy.filter((id) => !effects.has(id)).length,
      doubleEffects: [...effects.values()].filter((n) => n > 1).length,
      inDeadLetterQueue: deadLetters.length,
    });
    expect(reasons).toEqual(Object.keys(pills).sort());
    for (const message of deadLetters) {
      expect(message.MessageAttributes?.['fanout.error']?.StringValue).toEqual(expect.any(String));
    }
    expect(healthy.every((id) => effects.get(id) === 1)).toBe(true);
    expect(effects.get(conflictId)).toBe(1);
  });

  test('5. FIFO topic and queues: each group applied in order though half of DynamoDB calls fail', async () => {
    local = await startTestStack(synthTestApp({
      fifo: true,
      consumers: [{ id: 'Ledger', mode: 'transact', visibilityOverrideSeconds: 2, maxReceiveCount: 20 }],
    }), { faults: { dynamodbErrorRate: 0.5 } });
    expect(topicOf(local)).toMatch(/\.fifo$/);
    const publisher = publisherFor(local);
    const groups = ['g1', 'g2', 'g3', 'g4'];
    const perGroup = 8;
    // Interleaved across groups, in order within each.
    for (let seq = 0; seq < perGroup; seq++) {
      await publisher.publishBatch(groups.map((group) => ({ type: 'order.created', data: { orderId: `${group}-${seq}`, group, seq }, messageGroupId: group })));
    }
    const { queue, deadLetterQueue } = queuesOf(local, 'Ledger');
    await waitFor('the FIFO queue to drain', async () => (await messagesIn(local!, queue)) === 0, 120_000);
    const order = await appliedOrder(local, 'ledger');
    const poller = local.pollers[0].stats;
    report('fifo', {
      sent: groups.length * perGroup,
      processed: [...order.values()].reduce((n, list) => n + list.length, 0),
      lost: groups.length * perGroup - [...order.values()].reduce((n, list) => n + new Set(list).size, 0),
      doubleEffects: [...order.values()].reduce((n, list) => n + list.length - new Set(list).size, 0),
      inDeadLetterQueue: (await peek(local, deadLetterQueue)).length,
      itemFailures: poller.itemFailures,
    });
    expect(poller.itemFailures).toBeGreaterThan(0);
    for (const group of groups) {
      expect({ group, applied: order.get(group) }).toEqual({ group, applied: Array.from({ length: perGroup }, (_, i) => i) });
    }
  });

  test('7. filter policies: each consumer receives only its event types', async () => {
    local = await startTestStack(synthTestApp({
      consumers: [
        { id: 'Created', eventTypes: ['order.created'] },
        { id: 'Cancelled', eventTypes: ['order.cancelled'] },
        { id: 'Everything' },
      ],
    }));
    const publisher = publisherFor(local);
    const created = Array.from({ length: 10 }, () => randomUUID());
    const cancelled = Array.from({ length: 10 }, () => randomUUID());
    await publisher.publishBatch([
      ...created.map((id, i) => ({ type: 'order.created', data: { orderId: `c-${i}` }, id })),
      ...cancelled.map((id, i) => ({ type: 'order.cancelled', data: { orderId: `x-${i}` }, id })),
    ]);
    const expected: Record<string, string[]> = { created, cancelled, everything: [...created, ...cancelled] };
    for (const [name, ids] of Object.entries(expected)) {
      await waitFor(`${name} to process its events`, async () => (await effectsOf(local!, name)).size >= ids.length);
    }
    // Give a misrouted message time to show up before looking at what each consumer got.
    await waitFor('every queue to drain', async () => {
      const counts = await Promise.all(['Created', 'Cancelled', 'Everything'].map((c) => messagesIn(local!, queuesOf(local!, c).queue)));
      return counts.every((n) => n === 0);
    });
    for (const [name, ids] of Object.entries(expected)) {
      const effects = await effectsOf(local, name);
      const got = [...effects.keys()].sort();
      const figures = report(`filter ${name}`, {
        sent: created.length + cancelled.length,
        processed: got.length,
        lost: ids.filter((id) => !effects.has(id)).length,
        doubleEffects: [...effects.values()].filter((n) => n > 1).length,
        inDeadLetterQueue: (await peek(local, queuesOf(local, name).deadLetterQueue)).length,
      });
      expect(got).toEqual([...ids].sort());
      expect(figures).toMatchObject({ lost: 0, doubleEffects: 0, inDeadLetterQueue: 0 });
    }
  });

  test('8. a handler that always fails: the message reaches the DLQ after exactly maxReceiveCount receives', async () => {
    local = await startTestStack(synthTestApp({ consumers: [{ id: 'Broken', mode: 'fail', maxReceiveCount: 3, visibilityOverrideSeconds: 1 }] }));
    const ids = Array.from({ length: 3 }, () => randomUUID());
    await publisherFor(local).publishBatch(ids.map((id, i) => ({ type: 'order.created', data: { orderId: `b-${i}` }, id })));
    const { queue, deadLetterQueue } = queuesOf(local, 'Broken');
    let deadLetters: Awaited<ReturnType<typeof peek>> = [];
    await waitFor('all three in the DLQ', async () => {
      deadLetters = [...deadLetters, ...await peek(local!, deadLetterQueue)];
      return deadLetters.length === ids.length;
    });
    const attempts = await attemptsOf(local, 'broken');
    const effects = await effectsOf(local, 'broken');
    const dead = new Set(deadLetters.map((m) => JSON.parse(m.Body!).id));
    const figures = report('always failing', {
      sent: ids.length,
      processed: effects.size,
      lost: ids.filter((id) => !dead.has(id)).length,
      doubleEffects: [...effects.values()].filter((n) => n > 1).length,
      inDeadLetterQueue: deadLetters.length,
    });
    expect(figures).toMatchObject({ processed: 0, lost: 0 });
    expect([...dead].sort()).toEqual([...ids].sort());
    expect(ids.map((id) => attempts.get(id))).toEqual([3, 3, 3]);
    expect(await messagesIn(local, queue)).toBe(0);
  });
});
