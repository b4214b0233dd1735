/*
 * `fanout rabbitmq declare` on the real broker: a topology from a JSON spec, idempotent, and what
 * the broker refuses as one line with the fix.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { fanout } from '../cli/support/run';
import { brokerUrl, describeWithBroker, unique } from './support';

function specFile(spec: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fanout-rabbitmq-')), 'topology.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

describeWithBroker('fanout rabbitmq declare', () => {
  test('declares the spec, twice without change, and the consumer queue routes and dead-letters', async () => {
    const id = unique();
    const spec = {
      exchanges: [{ name: `orders-${id}`, type: 'topic' }],
      consumers: [{ name: `billing-${id}`, bindings: [{ exchange: `orders-${id}`, routingKeys: ['order.#'] }], deliveryLimit: 3 }],
    };
    const file = specFile(spec);
    const first = await fanout(['rabbitmq', 'declare', '--spec', file, '--url', brokerUrl!], { local: false });
    const second = await fanout(['rabbitmq', 'declare', '--spec', file, '--url', brokerUrl!], { local: false });

    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`declared queue billing-${id} (x-queue-type=quorum`);
    expect(first.stdout).toContain('x-delivery-limit=3');
    expect(first.stdout).toContain(`declared binding orders-${id} → billing-${id} (order.#)`);
    expect(second).toEqual(first);

    const connection = await connect(brokerUrl!);
    try {
      const channel = await connection.createChannel();
      channel.publish(`orders-${id}`, 'order.created', Buffer.from('{}'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await channel.checkQueue(`billing-${id}`)).messageCount).toBe(1);
      await channel.checkQueue(`billing-${id}.dlq`);
    } finally {
      await connection.close();
    }
  });

  test('a queue that exists with other arguments: exit 1, one line with the fix', async () => {
    const id = unique();
    const spec = (deliveryLimit: number) => ({
      exchanges: [{ name: `orders-${id}`, type: 'direct' }],
      consumers: [{ name: `audit-${id}`, bindings: [{ exchange: `orders-${id}`, routingKeys: ['order.created'] }], deliveryLimit }],
    });
    expect((await fanout(['rabbitmq', 'declare', '--spec', specFile(spec(3)), '--url', brokerUrl!], { local: false })).code).toBe(0);
    const changed = await fanout(['rabbitmq', 'declare', '--spec', specFile(spec(7)), '--url', brokerUrl!], { local: false });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/^fanout rabbitmq declare: declareTopology: declaring queue "audit-[0-9a-f]+" .* failed: .*PRECONDITION_FAILED.*; a queue's arguments cannot change once declared: drain and delete the queue, then declare it again \(or change x-delivery-limit with a policy\)\n$/);
  });
});

test('--dry-run prints the plan without a broker; a bad spec is a usage error naming the field', async () => {
  const good = specFile({ exchanges: [{ name: 'orders', type: 'topic' }], consumers: [{ name: 'billing', bindings: [{ exchange: 'orders', routingKeys: ['order.*'] }] }] });
  const dry = await fanout(['rabbitmq', 'declare', '--spec', good, '--dry-run'], { local: false });
  expect(dry).toMatchObject({ code: 0, stderr: '' });
  expect(dry.stdout).toContain('would declare exchange orders (topic)');
  expect(dry.stdout).toContain('would declare binding orders → billing (order.*)');

  const notJson = specFile('x');
  writeFileSync(notJson, '{ nope');
  expect(await fanout(['rabbitmq', 'declare', '--spec', notJson, '--dry-run'], { local: false })).toMatchObject({ code: 2 });
  const bad = specFile({ exchanges: [{ name: 'orders', type: 'fanout' }], consumers: [] });
  const refused = await fanout(['rabbitmq', 'declare', '--spec', bad, '--dry-run'], { local: false });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/^fanout rabbitmq declare: declareTopology: exchanges\[0\]\.type /);
});
