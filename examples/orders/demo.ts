/*
 * `npm run demo`: the sample fan-out on this machine. Synthesizes the app, runs it on fauxqs and
 * DynamoDB Local, publishes a few hundred order events (with duplicates, a poison pill of each
 * kind and a handler failure), shows progress while the consumers drain, and prints what each
 * consumer did.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { PublishCommand } from '@aws-sdk/client-sns';
import { BatchLogTotals } from '@cdk-fanout/testing';
import { LocalDeployment } from '@cdk-fanout/local';
import type { LocalQueue } from '../../local/src/provision';
import { messagesIn, peekQueue } from '@cdk-fanout/testing';
import { createEnvelope, Publisher, type BatchEntry } from '@cdk-fanout/runtime';
import { ordersApp } from './app';
import { setTimeout as delay } from 'node:timers/promises';

const ORDERS = 300;
const CANCELLED = 60;
const DUPLICATES = 40;

async function main(): Promise<void> {
  const started = Date.now();
  const cdkOut = path.join(__dirname, '..', '..', 'cdk.out');
  step(`synthesizing the sample app into ${path.relative(process.cwd(), cdkOut)}/`);
  ordersApp({ outdir: cdkOut }).synth();

  step('starting fauxqs (SNS+SQS) and DynamoDB Local, provisioning the app');
  const logs = new BatchLogTotals();
  const local = await LocalDeployment.start({
    cdkOut,
    // Deployed, a failed message waits out a 3-minute visibility timeout; here, 2 seconds.
    maxVisibilityTimeoutSeconds: 2,
    onHandlerOutput: logs.onHandlerOutput,
  });
  const stopOnSignal = () => void local.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    step(local.skippedSummary());
    const [stack] = local.stacks;
    const topic = [...stack.topics.values()].find((t) => t.logicalId.startsWith('OrdersTopic'))!;
    const consumers = ['billing', 'inventory', 'analytics'].map((name) => ({
      name,
      ...local.consumerQueues(name),
      polled: local.pollers.some((p) => p.mapping.function.environment.FANOUT_CONSUMER_NAME === name),
      drainedAt: undefined as number | undefined,
    }));

    const publishedAt = Date.now();
    const published = await publishOrders(new Publisher({ topicArn: topic.arn, source: 'order-service', client: local.clients.sns }), (body, type) =>
      local.clients.sns.send(new PublishCommand({ TopicArn: topic.arn, Message: body, MessageAttributes: { type: { DataType: 'String', StringValue: type } } })));
    step(`published ${published} messages: ${ORDERS} orders, ${CANCELLED} cancellations, ${DUPLICATES} duplicates, 7 poison pills, 1 double charge`);

    const waiting = (queue: LocalQueue) => messagesIn(local.clients.sqs, queue.url);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const pending = await Promise.all(consumers.map(async (c) => (c.polled ? waiting(c.queue) : 0)));
      consumers.forEach((c, i) => {
        c.drainedAt ??= pending[i] === 0 ? Date.now() : undefined;
        if (pending[i] > 0) {
          c.drainedAt = undefined;
        }
      });
      progress(consumers.filter((c) => c.polled).map((c, i) => `${c.name}: ${pending[i]} waiting, ${logs.of(c.name).processed} processed`).join(' | '));
      if (pending.every((n) => n === 0) || Date.now() > deadline) {
        break;
      }
      await delay(500);
    }
    progressDone();

    const rows = await Promise.all(consumers.map(async (c) => {
      const handler = logs.of(c.name);
      const deadLetters = await peekQueue(local.clients.sqs, c.deadLetterQueue.url);
      const reasons = new Map<string, number>();
      for (const message of deadLetters) {
        const reason = message.MessageAttributes?.['fanout.reason']?.StringValue ?? 'failed maxReceiveCount times';
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      const received = c.polled
        ? local.pollers.filter((p) => p.mapping.queue === c.queue).reduce((n, p) => n + p.stats.received, 0)
        : await waiting(c.queue);
      return {
        consumer: c.name,
        received: c.polled ? received : `${received} (waiting for its poller)`,
        processed: handler.processed,
        'duplicates skipped': handler.duplicates,
        retried: handler.failed,
        'in DLQ': deadLetters.length,
        reasons: [...reasons].map(([reason, n]) => `${reason} ×${n}`).join(', '),
        elapsed: c.polled ? `${(((c.drainedAt ?? Date.now()) - publishedAt) / 1000).toFixed(1)} s` : '-',
      };
    }));
    console.table(rows.map(({ reasons: _reasons, ...row }) => row));
    for (const row of rows.filter((r) => r.reasons)) {
      console.log(`  ${row.consumer} DLQ: ${row.reasons}`);
    }
    console.log('  (duplicates skipped include redeliveries of batches slower than the 2 s visibility timeout)');
    step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await local.stop();
  }
}

/** Publishes the demo's events; returns how many SNS messages went out. */
async function publishOrders(publisher: Publisher, publishRaw: (body: string, type: string) => Promise<unknown>): Promise<number> {
  const order = (i: number, currency = 'EUR') => ({
    orderId: `o-${i}`, customerId: `c-${i % 17}`, amount: 10 + (i % 50), currency, items: [{ sku: `sku-${i % 9}`, quantity: 1 + (i % 3) }],
  });
  const ids = Array.from({ length: ORDERS }, () => randomUUID());
  const batches: BatchEntry<unknown>[][] = [
    ids.map((id, i) => ({ type: 'order.created', data: order(i), id })),
    ids.slice(0, CANCELLED).map((_, i) => ({ type: 'order.cancelled', data: { orderId: `o-${i}`, reason: 'customer' } })),
    // The producer retried: the same envelopes again.
    ids.slice(0, DUPLICATES).map((id, i) => ({ type: 'order.created', data: order(i), id })),
  ];
  let sent = 0;
  for (const entries of batches) {
    const results = await publisher.publishBatch(entries);
    sent += results.filter((r) => r.ok).length;
  }
  const envelope = (overrides: object) => JSON.stringify({ ...createEnvelope({ type: 'order.created', source: 'order-service', data: order(999) }), ...overrides });
  const pills: Array<() => Promise<unknown>> = [
    () => publishRaw('{"id": "truncated', 'order.created'),                                        // malformed-json
    () => publishRaw(JSON.stringify({ type: 'order.created', data: order(998) }), 'order.created'),  // invalid-envelope
    () => publishRaw(envelope({ version: '7' }), 'order.created'),                                  // unsupported-version
    () => publishRaw(envelope({ data: { orderId: 'o-997', amount: -5 } }), 'order.created'),        // schema
    () => publishRaw(envelope({ type: 'order.refunded' }), 'order.created'),                        // unknown-type
    () => publisher.publish('order.created', order(1, 'USD'), { id: ids[1] }),                      // idempotency-conflict
    () => publisher.publish('order.created', order(996, 'XXX')),                                    // non-retryable
    // A handler failure: a second, different event charging order o-2 fails the ledger's condition.
    () => publisher.publish('order.created', order(2)),
  ];
  for (const pill of pills) {
    await pill();
    sent++;
  }
  return sent;
}

const step = (text: string) => console.log(`• ${text}`);
let lastProgress = 0;
function progress(text: string): void {
  if (process.stdout.isTTY) {
    process.stdout.write(`\r  ${text}\x1b[K`);
  } else if (Date.now() - lastProgress > 2000) {
    lastProgress = Date.now();
    console.log(`  ${text}`);
  }
}
const progressDone = () => process.stdout.isTTY && process.stdout.write('\n');

main().then(() => process.exit(0), (error) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
