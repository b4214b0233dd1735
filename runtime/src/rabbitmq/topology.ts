import type { Channel, ChannelModel } from 'amqplib';
import { describeValue } from '../describe-value.js';
import { CONSUMER_NAME_PATTERN } from '../names.js';
import { integerInRange } from '../option-range.js';
import { DEFAULT_DELIVERY_LIMIT, rabbitMqNames } from './names.js';
import { withTimeout } from './timeout.js';

/** An exchange producers publish to; the `RabbitMqPublisher` routes by event type. */
export interface ExchangeSpec {
  /** 1 to 255 bytes of letters, digits, `-`, `_`, `.`, `:`; not starting with `amq.` (the broker's own). */
  readonly name: string;
  /** `direct`: a routing key matches one event type exactly; `topic`: patterns such as `order.#` or `*.completed`. */
  readonly type: 'direct' | 'topic';
}

/** Which messages of one exchange reach a consumer's queue. */
export interface BindingSpec {
  /** One of the spec's `exchanges`. */
  readonly exchange: string;
  /** Event types (`order.created`), or on a topic exchange patterns of whole words (`order.#`, `*.completed`). */
  readonly routingKeys: readonly string[];
}

/** A consumer: its quorum queue, dead-letter exchange and dead-letter queue, named by `rabbitMqNames`. */
export interface ConsumerQueueSpec {
  /** The consumer name, as the constructs name consumers: 1 to 64 lower-case letters, digits and dashes. */
  readonly name: string;
  /** At least one. */
  readonly bindings: readonly BindingSpec[];
  /**
   * Deliveries the broker tries before it dead-letters a message (`x-delivery-limit`): an
   * integer from 1 to 1000.
   * @default 5
   */
  readonly deliveryLimit?: number;
}

/** What `declareTopology` declares. */
export interface TopologySpec {
  readonly exchanges: readonly ExchangeSpec[];
  readonly consumers: readonly ConsumerQueueSpec[];
}

/** One queue with the arguments it is declared with. */
export interface QueueDeclaration {
  readonly name: string;
  readonly arguments: Readonly<Record<string, string | number>>;
}

/** Everything `declareTopology` asserts, in order: exchanges, then per consumer its dead-letter side, its queue and its bindings. */
export interface TopologyPlan {
  readonly exchanges: readonly { readonly name: string; readonly type: 'direct' | 'topic' | 'fanout' }[];
  readonly queues: readonly QueueDeclaration[];
  readonly bindings: readonly { readonly queue: string; readonly exchange: string; readonly routingKey: string }[];
}

/** `deliveryLimit` bounds. */
export const DELIVERY_LIMIT_RANGE = [1, 1000] as const;
const OWNER = 'declareTopology';
/** AMQP 0-9-1's exchange-name characters. */
const EXCHANGE_NAME_PATTERN = /^[a-zA-Z0-9_.:-]+$/;
const MAX_NAME_BYTES = 255;

/**
 * Checks `spec` and returns what declaring it asserts. Throws one line naming the field and the
 * fix for the first problem.
 */
export function topologyPlan(spec: TopologySpec): TopologyPlan {
  if (typeof spec !== 'object' || spec === null) fail('the spec', `must be { exchanges, consumers }, got ${describeValue(spec)}`);
  const exchanges = arrayField('exchanges', spec.exchanges, 'add { name, type: \'topic\' | \'direct\' } for each exchange producers publish to');
  const consumers = arrayField('consumers', spec.consumers, 'add { name, bindings } for each consumer');
  const exchangeTypes = new Map<string, 'direct' | 'topic'>();
  const deadLetterExchanges = new Map<string, string>();
  for (const [index, consumer] of consumers.entries()) {
    if (typeof consumer?.name === 'string' && CONSUMER_NAME_PATTERN.test(consumer.name)) deadLetterExchanges.set(rabbitMqNames(consumer.name).deadLetterExchange, `consumers[${index}]`);
  }
  for (const [index, exchange] of exchanges.entries()) {
    const field = `exchanges[${index}]`;
    if (typeof exchange !== 'object' || exchange === null) fail(field, `must be { name, type }, got ${describeValue(exchange)}`);
    const { name, type } = exchange;
    if (typeof name !== 'string' || !EXCHANGE_NAME_PATTERN.test(name) || Buffer.byteLength(name) > MAX_NAME_BYTES) {
      fail(`${field}.name`, `must be 1 to ${MAX_NAME_BYTES} letters, digits, '-', '_', '.' or ':', got ${describeValue(name)}`);
    }
    if (name.startsWith('amq.')) fail(`${field}.name`, `${JSON.stringify(name)} starts with 'amq.', which the broker reserves; choose another name`);
    if (type !== 'direct' && type !== 'topic') {
      fail(`${field}.type`, `must be 'direct' or 'topic', got ${describeValue(type)}; use 'topic' to bind patterns such as 'order.#'`);
    }
    if (exchangeTypes.has(name)) fail(`${field}.name`, `${JSON.stringify(name)} is declared twice; keep one entry`);
    const owner = deadLetterExchanges.get(name);
    if (owner) fail(`${field}.name`, `${JSON.stringify(name)} is the dead-letter exchange of ${owner}; choose another exchange name`);
    exchangeTypes.set(name, type);
  }
  const plan = {
    exchanges: [...exchangeTypes].map(([name, type]) => ({ name, type })) as { name: string; type: 'direct' | 'topic' | 'fanout' }[],
    queues: [] as QueueDeclaration[],
    bindings: [] as { queue: string; exchange: string; routingKey: string }[],
  };
  const seen = new Set<string>();
  for (const [index, consumer] of consumers.entries()) {
    const field = `consumers[${index}]`;
    if (typeof consumer !== 'object' || consumer === null) fail(field, `must be { name, bindings, deliveryLimit? }, got ${describeValue(consumer)}`);
    if (typeof consumer.name !== 'string' || !CONSUMER_NAME_PATTERN.test(consumer.name)) {
      fail(`${field}.name`, `must be 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit (a consumer name), got ${describeValue(consumer.name)}`);
    }
    if (seen.has(consumer.name)) fail(`${field}.name`, `${JSON.stringify(consumer.name)} is declared twice; give each consumer its own name`);
    seen.add(consumer.name);
    const deliveryLimit = integerInRange(OWNER, `${field}.deliveryLimit`, consumer.deliveryLimit, DEFAULT_DELIVERY_LIMIT, ...DELIVERY_LIMIT_RANGE);
    const bindings = arrayField(`${field}.bindings`, consumer.bindings, 'add { exchange, routingKeys } for the events this consumer reads');
    if (bindings.length === 0) fail(`${field}.bindings`, 'is empty, so the queue would receive nothing; add { exchange, routingKeys } for the events this consumer reads');
    const names = rabbitMqNames(consumer.name);
    plan.exchanges.push({ name: names.deadLetterExchange, type: 'fanout' });
    plan.queues.push({ name: names.deadLetterQueue, arguments: { 'x-queue-type': 'quorum' } });
    plan.bindings.push({ queue: names.deadLetterQueue, exchange: names.deadLetterExchange, routingKey: '' });
    plan.queues.push({
      name: names.queue,
      arguments: {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': names.deadLetterExchange,
        'x-delivery-limit': deliveryLimit,
        // Quorum queues dead-letter at least once only with reject-publish overflow (no length limit is set, so nothing is refused).
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
    for (const [bindingIndex, binding] of bindings.entries()) {
      const bindingField = `${field}.bindings[${bindingIndex}]`;
      if (typeof binding !== 'object' || binding === null) fail(bindingField, `must be { exchange, routingKeys }, got ${describeValue(binding)}`);
      const type = exchangeTypes.get(binding.exchange);
      if (type === undefined) {
        const declared = [...exchangeTypes.keys()].join(', ') || 'none';
        fail(`${bindingField}.exchange`, `${describeValue(binding.exchange)} is not one of the spec's exchanges (${declared}); add it to exchanges or bind to a declared one`);
      }
      const keys = arrayField(`${bindingField}.routingKeys`, binding.routingKeys, 'list the event types (or, on a topic exchange, patterns) to bind');
      if (keys.length === 0) fail(`${bindingField}.routingKeys`, 'is empty; list the event types (or, on a topic exchange, patterns) to bind');
      for (const [keyIndex, key] of keys.entries()) {
        const problem = routingKeyProblem(key, type, binding.exchange);
        if (problem) fail(`${bindingField}.routingKeys[${keyIndex}]`, problem);
        plan.bindings.push({ queue: names.queue, exchange: binding.exchange, routingKey: key });
      }
    }
  }
  return plan;
}

function routingKeyProblem(key: unknown, type: 'direct' | 'topic', exchange: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > MAX_NAME_BYTES) {
    return `must be a non-empty string of at most ${MAX_NAME_BYTES} bytes (an event type such as 'order.created'), got ${describeValue(key)}`;
  }
  const words = key.split('.');
  if (type === 'direct' && words.some((word) => word.includes('*') || word.includes('#'))) {
    return `${JSON.stringify(key)} has a wildcard, but exchange ${JSON.stringify(exchange)} is direct, where * and # match only themselves; make the exchange a topic exchange or list the event types`;
  }
  const mixed = words.find((word) => word !== '*' && word !== '#' && (word.includes('*') || word.includes('#')));
  if (mixed !== undefined) {
    return `${JSON.stringify(key)} has the word ${JSON.stringify(mixed)}: * and # stand for whole words only (use 'order.*' or 'order.#')`;
  }
  return undefined;
}

function arrayField<T>(field: string, value: readonly T[] | undefined, fix: string): readonly T[] {
  if (!Array.isArray(value)) fail(field, `must be an array, got ${describeValue(value)}; ${fix}`);
  return value;
}

function fail(field: string, problem: string): never {
  throw new Error(`${OWNER}: ${field} ${problem}`);
}

/** What `declareTopology` declared: the plan, and the consumers' queue names. */
export interface TopologyDeclared extends TopologyPlan {
  readonly consumers: readonly { readonly name: string; readonly queue: string; readonly deadLetterExchange: string; readonly deadLetterQueue: string; readonly deliveryLimit: number }[];
}

export interface DeclareTopologyOptions {
  /**
   * How long each broker operation may take, in milliseconds: an integer from 1 to 300000.
   * @default 10000
   */
  readonly timeoutMs?: number;
}

/**
 * Declares `spec` on the broker: durable exchanges; per consumer a durable quorum queue with its
 * dead-letter exchange (`<consumer>.dlx`, fanout), `x-delivery-limit` and at-least-once
 * dead-lettering; the dead-letter queue (`<consumer>.dlq`, quorum) bound to that exchange; and
 * the bindings. Idempotent: declaring the same spec again changes nothing. Never deletes or
 * unbinds anything. Uses a channel of its own, so a refusal by the broker (a queue that exists
 * with other arguments) closes no channel of the caller's; it throws one line naming what was
 * refused and why.
 */
export async function declareTopology(connection: Pick<ChannelModel, 'createChannel'>, spec: TopologySpec, options: DeclareTopologyOptions = {}): Promise<TopologyDeclared> {
  const plan = topologyPlan(spec);
  const timeoutMs = integerInRange(OWNER, 'timeoutMs', options.timeoutMs, 10_000, 1, 300_000);
  const channel: Channel = await withTimeout(connection.createChannel(), timeoutMs, `${OWNER}: opening a channel`);
  // The broker's refusal arrives as the channel's 'error' event as well as the rejected call.
  channel.on('error', () => undefined);
  const step = async <T>(what: string, fix: string, operation: () => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(operation(), timeoutMs, `${OWNER}: ${what}`);
    } catch (error) {
      throw new Error(`${OWNER}: ${what} failed: ${brokerText(error)}${fix ? `; ${fix}` : ''}`, { cause: error });
    }
  };
  try {
    for (const exchange of plan.exchanges) {
      await step(`declaring ${exchange.type} exchange ${JSON.stringify(exchange.name)}`, 'an exchange cannot change type: delete it, or declare it with the type it has',
        () => channel.assertExchange(exchange.name, exchange.type, { durable: true, autoDelete: false }));
    }
    for (const queue of plan.queues) {
      await step(`declaring queue ${JSON.stringify(queue.name)} (${Object.entries(queue.arguments).map(([k, v]) => `${k}=${v}`).join(', ')})`,
        'a queue\'s arguments cannot change once declared: drain and delete the queue, then declare it again (or change x-delivery-limit with a policy)',
        () => channel.assertQueue(queue.name, { durable: true, exclusive: false, autoDelete: false, arguments: { ...queue.arguments } }));
    }
    for (const binding of plan.bindings) {
      await step(`binding queue ${JSON.stringify(binding.queue)} to exchange ${JSON.stringify(binding.exchange)} with ${JSON.stringify(binding.routingKey)}`, '',
        () => channel.bindQueue(binding.queue, binding.exchange, binding.routingKey));
    }
  } finally {
    await withTimeout(channel.close(), timeoutMs, `${OWNER}: closing its channel`).catch(() => undefined);
  }
  return {
    ...plan,
    consumers: spec.consumers.map((consumer) => ({
      name: consumer.name,
      ...rabbitMqNames(consumer.name),
      deliveryLimit: consumer.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT,
    })),
  };
}

/** The broker's reply text (`PRECONDITION_FAILED - inequivalent arg …`), or the error's message. */
export function brokerText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /with message "([^"]*)"/.exec(message);
  return (quoted ? quoted[1] : message).replace(/\s+/g, ' ').trim();
}
