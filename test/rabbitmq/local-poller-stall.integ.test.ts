/*
 * The local RabbitMQ poller against a broker that accepts the connection and then stops answering
 * (a TCP proxy in front of the test broker forwards the AMQP handshake, then swallows every frame
 * the client sends on a channel): subscribing fails in one line within the broker timeout instead
 * of hanging `LocalDeployment.start`. The function is a stand-in: nothing is ever delivered to it.
 */
import * as net from 'node:net';
import type { LocalFunction } from '../../local/src/lambda-function';
import type { LocalFunctionSpec } from '../../local/src/provision';
import { RabbitMqPoller } from '../../local/src/rabbitmq-poller';
import { brokerUrl, describeWithBroker } from './support';

/** The AMQP 0-9-1 protocol header, then frames: type (1 byte), channel (2), size (4), payload, 0xCE. */
const PROTOCOL_HEADER_BYTES = 8;
const FRAME_OVERHEAD_BYTES = 8;

/** A proxy to `target` that forwards the connection's own frames (channel 0) and drops the rest from the client. */
async function startStallingProxy(target: URL): Promise<{ url: string; channelFrames: () => number; close(): Promise<void> }> {
  let dropped = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const broker = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(broker);
    broker.pipe(client);
    let pending = Buffer.alloc(0);
    let headerSeen = false;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (!headerSeen && pending.length >= PROTOCOL_HEADER_BYTES) {
        broker.write(pending.subarray(0, PROTOCOL_HEADER_BYTES));
        pending = pending.subarray(PROTOCOL_HEADER_BYTES);
        headerSeen = true;
      }
      while (headerSeen && pending.length >= FRAME_OVERHEAD_BYTES && pending.length >= FRAME_OVERHEAD_BYTES + pending.readUInt32BE(3)) {
        const length = FRAME_OVERHEAD_BYTES + pending.readUInt32BE(3);
        if (pending.readUInt16BE(1) === 0) broker.write(pending.subarray(0, length));
        else dropped++;
        pending = pending.subarray(length);
      }
    });
    const end = () => {
      client.destroy();
      broker.destroy();
    };
    client.on('error', end).on('close', end);
    broker.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target.toString());
  proxied.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url: proxied.toString(),
    channelFrames: () => dropped,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describeWithBroker('the local RabbitMQ poller and a broker that stops answering', () => {
  test('start() fails in one line naming the event source and the wait, instead of hanging', async () => {
    const proxy = await startStallingProxy(new URL(brokerUrl!));
    const poller = new RabbitMqPoller({
      logicalId: 'OrdersMapping',
      function: {} as LocalFunctionSpec,
      brokerArn: 'arn:aws:mq:us-east-1:000000000000:broker:orders:b-local',
      queue: 'orders',
      virtualHost: '/',
      batchSize: 10,
      maxBatchingWindowSeconds: 0.5,
    }, {} as LocalFunction, proxy.url);
    const started = Date.now();
    try {
      await expect(poller.start()).rejects.toThrow(/^local RabbitMQ event source OrdersMapping: subscribing to queue "orders" in virtual host "\/" at 127\.0\.0\.1:\d+: the broker did not answer within 10000 ms$/);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(proxy.channelFrames()).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  }, 40_000);
});
