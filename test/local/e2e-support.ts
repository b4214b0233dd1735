import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { LocalDeployment, type LocalDeploymentOptions, type LocalQueue } from '@cdk-fanout/local';
import { createEnvelope, Publisher } from '@cdk-fanout/runtime';
import {
  BatchLogTotals, FAULT_PRELOAD_MODULE, messagesIn as queueMessages, peekQueue, redeliverFirstDeliveries, testSeed, type FunctionFaults,
} from '@cdk-fanout/testing';
import { setTimeout as delay } from 'node:timers/promises';

const handlerLogs = new WeakMap<LocalDeployment, BatchLogTotals>();

/** What a consumer's handlers logged they did, added up over every batch ("batch done" lines). */
export const handlerTotals = (local: LocalDeployment, consumer: string) => handlerLogs.get(local)!.of(consumer);

/** What a test can switch on besides the deployment's own options; random faults replay from `seed`. */
export interface TestFaults {
  /** Faults of every function's execution environments. */
  readonly faults?: Omit<FunctionFaults, 'seed'>;
  /** Share of messages left undeleted after their first successful delivery (0..1). */
  readonly redeliverRate?: number;
}

/**
 * Starts a test app on the run's emulators, under its own names. Faults draw from a seed, printed
 * at the start: FANOUT_TEST_SEED=<seed> replays them.
 */
export async function startTestStack(cdkOut: string, options: Omit<LocalDeploymentOptions, 'cdkOut' | 'endpoints' | 'namePrefix'> & TestFaults = {}): Promise<LocalDeployment> {
  const fauxqs = process.env.FANOUT_TEST_FAUXQS_ENDPOINT;
  const dynamodb = process.env.FANOUT_TEST_DYNAMODB_ENDPOINT;
  if (!fauxqs || !dynamodb) {
    throw new Error('the emulators are not running: run the tests with jest (testing/src/global-setup.ts starts them)');
  }
  const { faults, redeliverRate, ...deploymentOptions } = options;
  const seed = testSeed();
  if (faults || redeliverRate) {
    process.stdout.write(`faults: seed ${seed} (FANOUT_TEST_SEED=${seed} replays them) ${JSON.stringify({ ...faults, redeliverRate })}\n`);
  }
  const logs = new BatchLogTotals();
  const local = await LocalDeployment.start({
    ...deploymentOptions,
    ...(faults ? { preload: [{ module: FAULT_PRELOAD_MODULE, options: { ...faults, seed } }] } : {}),
    cdkOut,
    endpoints: { fauxqs, dynamodb },
    namePrefix: `t${randomUUID().slice(0, 8)}-`,
    onHandlerOutput: (fn, text) => {
      logs.onHandlerOutput(fn, text);
      if (process.env.FANOUT_TEST_LOGS) {
        process.stdout.write(`[${fn}] ${text}`);
      }
    },
  });
  if (redeliverRate) {
    redeliverFirstDeliveries(local.clients.sqs, redeliverRate, seed);
  }
  handlerLogs.set(local, logs);
  return local;
}

export function topicOf(local: LocalDeployment): string {
  const [topic] = local.stacks[0].topics.values();
  return topic.arn;
}

export function publisherFor(local: LocalDeployment): Publisher {
  return new Publisher({ topicArn: topicOf(local), source: 'e2e', client: local.clients.sns });
}

/** The queue and dead-letter queue of a consumer, by its construct id. */
export const queuesOf = (local: LocalDeployment, consumerId: string) => local.consumerQueues(consumerId);

/** Effects per envelope id of one consumer (the count its handler added). */
export async function effectsOf(local: LocalDeployment, consumerName: string): Promise<Map<string, number>> {
  const items = await scanEffects(local);
  const effects = new Map<string, number>();
  for (const item of items) {
    const [consumer, id, ...rest] = item.pk.S!.split('#');
    if (consumer === consumerName && rest.length === 0 && id !== 'group' && item.effects) {
      effects.set(id, Number(item.effects.N));
    }
  }
  return effects;
}

/** Per message group, the sequence numbers in the order the handler applied them. */
export async function appliedOrder(local: LocalDeployment, consumerName: string): Promise<Map<string, number[]>> {
  const order = new Map<string, number[]>();
  for (const item of await scanEffects(local)) {
    const [consumer, kind, group] = item.pk.S!.split('#');
    if (consumer === consumerName && kind === 'group') {
      order.set(group, item.applied.L!.map((n) => Number(n.N)));
    }
  }
  return order;
}

/** Attempts per envelope id of a consumer in `fail` mode. */
export async function attemptsOf(local: LocalDeployment, consumerName: string): Promise<Map<string, number>> {
  const attempts = new Map<string, number>();
  for (const item of await scanEffects(local)) {
    const [consumer, kind, id] = item.pk.S!.split('#');
    if (consumer === consumerName && kind === 'attempts') {
      attempts.set(id, Number(item.attempts.N));
    }
  }
  return attempts;
}

async function scanEffects(local: LocalDeployment) {
  const [name] = [...local.stacks[0].tables].filter(([id]) => id.startsWith('Effects')).map(([, table]) => table);
  const items: Array<Record<string, { S?: string; N?: string; L?: Array<{ N?: string }> }>> = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await local.clients.dynamodb.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []) as typeof items);
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return items as Array<Record<string, { S?: string; N?: string; L?: Array<{ N?: string }> }> & { pk: { S: string } }>;
}

/** Messages a queue holds (visible, in flight, delayed). */
export const messagesIn = (local: LocalDeployment, queue: LocalQueue) => queueMessages(local.clients.sqs, queue.url);

/** Every visible message of a (dead-letter) queue, received once and hidden for a minute. */
export const peek = (local: LocalDeployment, queue: LocalQueue) => peekQueue(local.clients.sqs, queue.url);

/** How a test sends the poison pills: a raw body (with the event type it claims), and two envelopes through its publisher. */
export interface PillSenders {
  raw(body: string, type: string): Promise<unknown>;
  /** An envelope with the id of one already sent and other data. */
  conflict(): Promise<unknown>;
  /** An order with `poison: true`, which the end-to-end handler rejects as non-retryable. */
  nonRetryable(): Promise<unknown>;
}

/** A poison message of each kind the runtime names, keyed by the `fanout.reason` it must get. */
export function poisonPills(send: PillSenders): Record<string, () => Promise<unknown>> {
  const envelope = (overrides: object) => JSON.stringify({ ...createEnvelope({ type: 'order.created', source: 'e2e', data: { orderId: 'p' } }), ...overrides });
  return {
    'malformed-json': () => send.raw('{"id": "broken', 'order.created'),
    'invalid-envelope': () => send.raw(JSON.stringify({ type: 'order.created', data: {} }), 'order.created'),
    'unsupported-version': () => send.raw(envelope({ version: '2' }), 'order.created'),
    'schema': () => send.raw(envelope({ data: { orderId: 42 } }), 'order.created'),
    'unknown-type': () => send.raw(envelope({ type: 'order.shipped' }), 'order.shipped'),
    'idempotency-conflict': () => send.conflict(),
    'non-retryable': () => send.nonRetryable(),
  };
}

/** Polls until the check returns true; fails with the last state after the timeout. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(250);
  }
}

/** The figures every end-to-end test prints and asserts. */
export interface Figures {
  readonly sent: number;
  readonly processed: number;
  readonly lost: number;
  readonly doubleEffects: number;
  readonly inDeadLetterQueue: number;
}

export function report<F extends Figures & Record<string, number>>(name: string, figures: F): F {
  process.stdout.write(`${name}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  return figures;
}
