/*
 * RabbitMqPublisher without a broker: options checked at construction, the message it
 * publishes, the 256 KiB limit, and the bound on copies when confirms fail, never come, or the
 * channel closes.
 */
import { EventEmitter } from 'node:events';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { RabbitMqPublisher, type RabbitMqPublisherOptions } from '@cdk-fanout/runtime/rabbitmq';

type Confirm = (error: Error | null) => void;
/** What the fake channel does with each publish: confirm, nack, stay silent, or close the channel. */
type Behaviour = (confirm: Confirm, channel: FakeChannel, publishIndex: number) => void;

class FakeChannel extends EventEmitter {
  closed = false;
  pending: Confirm[] = [];
  constructor(private readonly broker: FakeBroker) {
    super();
  }
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, callback: Confirm): boolean {
    if (this.closed) throw new Error('Channel closed');
    const index = this.broker.published.length;
    this.broker.published.push({ exchange, routingKey, content, options });
    this.pending.push(callback);
    this.broker.behaviour((error) => {
      this.pending.splice(this.pending.indexOf(callback), 1);
      callback(error);
    }, this, index);
    return true;
  }
  /** As amqplib does when the broker closes a channel: 'error' with the code, pending confirms failed, 'close'. */
  closeByBroker(code: number, text: string): void {
    this.closed = true;
    this.emit('error', Object.assign(new Error(`Channel closed by server: ${code} (${text}) with message "${text}"`), { code }));
    for (const callback of this.pending.splice(0)) callback(new Error('channel closed'));
    this.emit('close');
  }
  async close(): Promise<void> {
    this.closed = true;
    this.emit('close');
  }
}

class FakeBroker {
  published: { exchange: string; routingKey: string; content: Buffer; options: Options.Publish }[] = [];
  channels: FakeChannel[] = [];
  constructor(public behaviour: Behaviour) {}
  readonly connection = {
    createConfirmChannel: async () => {
      const channel = new FakeChannel(this);
      this.channels.push(channel);
      return channel as unknown as ConfirmChannel;
    },
  } as Pick<ChannelModel, 'createConfirmChannel'>;
}

const confirmAll: Behaviour = (confirm) => setImmediate(() => confirm(null));
const make = (broker: FakeBroker, options: Partial<RabbitMqPublisherOptions> = {}) =>
  new RabbitMqPublisher({ connection: broker.connection, exchange: 'orders', source: 'order-service', retryBaseDelayMs: 0, ...options });

describe('options', () => {
  const broker = new FakeBroker(confirmAll);
  test.each([
    ['maxAttempts', NaN, 'RabbitMqPublisher: maxAttempts must be an integer from 1 to 10, got NaN'],
    ['maxAttempts', 0, 'RabbitMqPublisher: maxAttempts must be an integer from 1 to 10, got 0'],
    ['maxAttempts', 11, 'RabbitMqPublisher: maxAttempts must be an integer from 1 to 10, got 11'],
    ['retryBaseDelayMs', -1, 'RabbitMqPublisher: retryBaseDelayMs must be an integer from 0 to 60000, got -1'],
    ['timeoutMs', 0, 'RabbitMqPublisher: timeoutMs must be an integer from 1 to 300000, got 0'],
    ['timeoutMs', Infinity, 'RabbitMqPublisher: timeoutMs must be an integer from 1 to 300000, got Infinity'],
    ['exchange', '', 'RabbitMqPublisher: exchange must be a non-empty string of valid Unicode, got ""'],
    ['source', undefined, 'RabbitMqPublisher: source must be a non-empty string of valid Unicode, got nothing'],
    ['connection', {}, 'RabbitMqPublisher: connection must be an amqplib connection (await amqplib.connect(url)), got an object'],
  ])('%s = %p is refused at construction, in one line', (option, value, message) => {
    expect(() => make(broker, { [option]: value } as Partial<RabbitMqPublisherOptions>)).toThrow(new Error(message));
  });
});

test('the message: envelope body, type as routing key, persistent JSON, message id and headers', async () => {
  const broker = new FakeBroker(confirmAll);
  const result = await make(broker).publish('order.created', { orderId: 'o-1' }, { id: 'e-1', correlationId: 'req-42' });
  expect(result.attempts).toBe(1);
  expect(broker.published).toHaveLength(1);
  const [sent] = broker.published;
  expect(sent.exchange).toBe('orders');
  expect(sent.routingKey).toBe('order.created');
  expect(JSON.parse(sent.content.toString())).toEqual(result.envelope);
  expect(result.envelope).toMatchObject({ id: 'e-1', type: 'order.created', version: '1', source: 'order-service', correlationId: 'req-42', data: { orderId: 'o-1' } });
  expect(sent.options).toEqual({
    persistent: true,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    messageId: 'e-1',
    correlationId: 'req-42',
    timestamp: Math.floor(Date.parse(result.envelope.timestamp) / 1000),
    headers: { type: 'order.created', version: '1', source: 'order-service' },
  });
});

test('over 256 KiB with its headers: refused before anything is sent', async () => {
  const broker = new FakeBroker(confirmAll);
  await expect(make(broker).publish('order.created', { blob: 'x'.repeat(256 * 1024) }, { id: 'big' }))
    .rejects.toThrow(/^publish: envelope big \(type order\.created\) is \d+ bytes with its headers, over the limit cdk-fanout keeps on every queue of 262144 bytes \(256 KiB\); give the RabbitMqPublisher largePayloads: \{ bucket \} \(or set FANOUT_PAYLOAD_BUCKET\) to send it through S3$/);
  expect(broker.published).toHaveLength(0);
});

test('an id over the 255 bytes an AMQP property holds is refused before sending', async () => {
  const broker = new FakeBroker(confirmAll);
  await expect(make(broker).publish('order.created', {}, { id: '😀'.repeat(64) })).rejects.toThrow('publish: id is 256 bytes in UTF-8, over the 255 bytes an AMQP message property holds (envelope type order.created)');
  expect(broker.published).toHaveLength(0);
});

test.each([1, 3, 5])('every confirm a nack: exactly maxAttempts = %i copies, then the last error', async (maxAttempts) => {
  const broker = new FakeBroker((confirm) => setImmediate(() => confirm(new Error('message nacked'))));
  await expect(make(broker, { maxAttempts }).publish('order.created', {}, { id: 'e-1' })).rejects.toThrow(`RabbitMqPublisher: envelope e-1 (type order.created) not confirmed after ${maxAttempts} attempts: message nacked`);
  expect(broker.published).toHaveLength(maxAttempts);
});

test('confirms that never come: each wait times out, at most maxAttempts copies', async () => {
  const broker = new FakeBroker(() => undefined);
  const started = Date.now();
  await expect(make(broker, { maxAttempts: 3, timeoutMs: 50 }).publish('order.created', {}, { id: 'e-1' })).rejects.toThrow('not confirmed after 3 attempts: the broker\'s confirm did not finish within 50 ms');
  expect(broker.published).toHaveLength(3);
  expect(Date.now() - started).toBeLessThan(2000);
});

test('the broker closes the channel mid-stream: retried on a new channel, no message over maxAttempts copies', async () => {
  // The 5th publish makes the broker close the channel: every publish in flight on it fails.
  const broker = new FakeBroker((confirm, channel, index) => {
    if (index === 4) setImmediate(() => channel.closeByBroker(541, 'INTERNAL_ERROR'));
    else setTimeout(() => confirm(null), 5);
  });
  const publisher = make(broker, { maxAttempts: 2 });
  const results = await publisher.publishBatch(Array.from({ length: 20 }, (_, i) => ({ type: 'order.created', data: { i }, id: `e-${i}` })));
  expect(results.every((result) => result.ok)).toBe(true);
  expect(broker.channels.length).toBe(2);
  const copies = new Map<string, number>();
  for (const sent of broker.published) copies.set(sent.options.messageId!, (copies.get(sent.options.messageId!) ?? 0) + 1);
  expect(Math.max(...copies.values())).toBeLessThanOrEqual(2);
  expect(publisher.stats()).toMatchObject({ channelsOpened: 2 });
});

test('the exchange does not exist (404): not retried', async () => {
  const broker = new FakeBroker((_, channel) => setImmediate(() => channel.closeByBroker(404, 'NOT_FOUND - no exchange \'orders\' in vhost \'/\'')));
  await expect(make(broker, { maxAttempts: 5 }).publish('order.created', {}, { id: 'e-1' }))
    .rejects.toThrow('RabbitMqPublisher: envelope e-1 (type order.created) not published: NOT_FOUND - no exchange \'orders\' in vhost \'/\'');
  expect(broker.published).toHaveLength(1);
});
