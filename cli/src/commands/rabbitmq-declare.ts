import { readFileSync } from 'node:fs';
import { connect } from 'amqplib';
import { declareTopology, topologyPlan, type TopologyPlan, type TopologySpec } from '@cdk-fanout/runtime/rabbitmq-topology';
import { optionalString, requiredString, UsageError, type Command } from './command';

const URL_ENV = 'FANOUT_AMQP_URL';

export const rabbitmqDeclare: Command = {
  name: 'rabbitmq declare',
  summary: 'Declare RabbitMQ exchanges, consumer quorum queues with their dead-letter exchange and queue, and bindings, from a JSON spec.',
  description: 'Idempotent: declaring the same spec again changes nothing; it never deletes or unbinds. A queue that exists with other arguments is refused with the fix. The spec is { "exchanges": [{ "name", "type": "direct"|"topic" }], "consumers": [{ "name", "bindings": [{ "exchange", "routingKeys": [...] }], "deliveryLimit"? }] }.',
  options: {
    spec: { type: 'string', value: 'FILE', description: 'the topology, a JSON file' },
    url: { type: 'string', value: 'URL', description: `the broker, e.g. amqps://user:password@b-1234.mq.eu-west-1.amazonaws.com:5671 (default: ${URL_ENV})` },
    'dry-run': { type: 'boolean', description: 'print what would be declared, without connecting' },
  },
  examples: [
    'fanout rabbitmq declare --spec topology.json --url amqp://guest:guest@127.0.0.1:5672',
    'fanout rabbitmq declare --spec topology.json --dry-run',
  ],
  async run({ values, globals, io }) {
    const spec = readSpec(requiredString(values, 'spec'));
    if (values['dry-run'] === true) {
      io.stdout.write(describePlan(topologyPlan(spec), 'would declare'));
      return;
    }
    const url = optionalString(values, 'url') ?? process.env[URL_ENV];
    if (!url) throw new UsageError(`--url is required (or set ${URL_ENV})`);
    const timeoutMs = globals.timeoutSeconds * 1000;
    const connection = await connect(url, { timeout: timeoutMs }).catch((error: Error) => {
      throw new Error(`could not connect to ${redacted(url)}: ${error.message}`);
    });
    try {
      io.stdout.write(describePlan(await declareTopology(connection, spec, { timeoutMs }), 'declared'));
    } finally {
      await connection.close().catch(() => undefined);
    }
  },
};

function readSpec(file: string): TopologySpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--spec ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text) as TopologySpec;
  } catch (error) {
    throw new UsageError(`--spec ${file} is not JSON (${(error as Error).message})`);
  }
}

function describePlan(plan: TopologyPlan, verb: string): string {
  return [
    ...plan.exchanges.map((exchange) => `${verb} exchange ${exchange.name} (${exchange.type})`),
    ...plan.queues.map((queue) => `${verb} queue ${queue.name} (${Object.entries(queue.arguments).map(([key, value]) => `${key}=${value}`).join(', ')})`),
    ...plan.bindings.map((binding) => `${verb} binding ${binding.exchange} → ${binding.queue} (${binding.routingKey})`),
    '',
  ].join('\n');
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the broker';
  }
}
