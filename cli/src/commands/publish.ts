import { readFileSync } from 'node:fs';
import { ENV_PAYLOAD_BUCKET } from '@cdk-fanout/runtime/names';
import { Publisher } from '@cdk-fanout/runtime/publisher';
import { optionalString, requiredString, UsageError, type Command } from './command';

const DEFAULT_SOURCE = 'fanout-cli';

export const publish: Command = {
  name: 'publish',
  summary: 'Publish one event to a fan-out topic as an envelope, with the attributes subscriptions filter on.',
  options: {
    'topic-arn': { type: 'string', value: 'ARN', description: 'ARN of the SNS topic' },
    type: { type: 'string', value: 'TYPE', description: 'event type, lowercase noun.verb, e.g. order.created' },
    data: { type: 'string', value: 'JSON', description: 'the event\'s data, a JSON value, or @FILE to read it from a file (one argument holds at most 128 KiB on Linux)' },
    source: { type: 'string', value: 'NAME', description: `the producing service written to the envelope (default ${DEFAULT_SOURCE})` },
    'group-id': { type: 'string', value: 'ID', description: 'message group id (required by FIFO topics)' },
    'correlation-id': { type: 'string', value: 'ID', description: 'correlation id written to the envelope' },
    environment: { type: 'string', value: 'NAME', description: 'the environment attribute, e.g. prod (default FANOUT_ENVIRONMENT)' },
    'payload-bucket': { type: 'string', value: 'BUCKET', description: `bucket for an envelope over 256 KiB, sent as a claim check (default ${ENV_PAYLOAD_BUCKET}; without one it is refused)` },
    json: { type: 'boolean', description: 'print the envelope and SNS message id as JSON' },
  },
  examples: [
    'fanout publish --topic-arn arn:aws:sns:eu-west-1:123456789012:orders --type order.created --data \'{"orderId":"o-1"}\'',
    'fanout publish --topic-arn arn:aws:sns:eu-west-1:123456789012:orders --type order.created --data @big-order.json --payload-bucket orders-payloads',
  ],
  async run(context) {
    const topicArn = requiredString(context.values, 'topic-arn');
    const type = requiredString(context.values, 'type');
    const data = parseData(requiredString(context.values, 'data'));
    const groupId = optionalString(context.values, 'group-id');
    const correlationId = optionalString(context.values, 'correlation-id');
    const environment = optionalString(context.values, 'environment');
    const bucket = optionalString(context.values, 'payload-bucket') ?? (process.env[ENV_PAYLOAD_BUCKET] || undefined);
    const publisher = new Publisher({
      topicArn,
      source: optionalString(context.values, 'source') ?? DEFAULT_SOURCE,
      client: context.clients.sns(),
      ...(environment === undefined ? {} : { environment }),
      // The command's own S3 client, so --endpoint, --region and --profile apply to the upload too.
      largePayloads: bucket === undefined ? false : { bucket, client: context.clients.s3() },
    });
    const result = await publisher.publish(type, data, {
      ...(groupId === undefined ? {} : { messageGroupId: groupId }),
      ...(correlationId === undefined ? {} : { correlationId }),
    });
    context.io.stdout.write(context.values.json
      ? `${JSON.stringify(result, null, 2)}\n`
      : `Published ${result.envelope.type} ${result.envelope.id} to ${topicArn} (SNS message id ${result.messageId}).\n`);
  },
};

/**
 * `--data`: JSON, or `@FILE` (no JSON value starts with `@`). A file is how data over 128 KiB gets
 * in at all: Linux refuses a single command-line argument larger than that (E2BIG).
 */
function parseData(text: string): unknown {
  const file = text.startsWith('@') ? text.slice(1) : undefined;
  let json = text;
  if (file !== undefined) {
    try {
      json = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--data @${file}: cannot read the file (${(error as Error).message})`);
    }
  }
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new UsageError(file === undefined
      ? `--data is not valid JSON (${(error as Error).message}); quote it for the shell, e.g. --data '{"orderId":"o-1"}'`
      : `--data @${file}: the file is not valid JSON (${(error as Error).message})`);
  }
}
