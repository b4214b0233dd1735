/* `fanout publish` against fauxqs: the runtime's Publisher behind a command line. */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { parseEnvelope } from '@cdk-fanout/runtime';
import { drainQueue, snsClient, sqsClient, topicWithQueues } from '@cdk-fanout/testing';
import { fanout } from './support/run';

let sns: SNSClient;
let sqs: SQSClient;
beforeAll(() => {
  sns = snsClient();
  sqs = sqsClient();
});
afterAll(() => {
  sns.destroy();
  sqs.destroy();
});

/** A topic with one raw-delivery queue subscribed. */
async function subscribedQueue(prefix: string, fifo = false) {
  const { topicArn, queues } = await topicWithQueues(sns, sqs, prefix, fifo, { queue: { fifo } });
  return { topicArn, queueUrl: queues.queue.url };
}

describe('fanout publish', () => {
  test('puts an envelope with the type/version/source attributes on a subscribed queue', async () => {
    const { topicArn, queueUrl } = await subscribedQueue('cli-publish');

    const run = await fanout(['publish', '--topic-arn', topicArn, '--type', 'order.created', '--data', '{"orderId":"o-1","amount":12.5}', '--source', 'ops', '--correlation-id', 'incident-7']);

    expect(run.code).toBe(0);
    const [message] = await drainQueue(sqs, queueUrl);
    const envelope = parseEnvelope(message.Body);
    expect(envelope).toMatchObject({ type: 'order.created', version: '1', source: 'ops', correlationId: 'incident-7', data: { orderId: 'o-1', amount: 12.5 } });
    expect(run.stdout).toMatch(new RegExp(`^Published order.created ${envelope.id} to ${topicArn} \\(SNS message id \\S+\\)\\.\\n$`));
    expect(message.MessageAttributes?.type?.StringValue).toBe('order.created');
    expect(message.MessageAttributes?.version?.StringValue).toBe('1');
    expect(message.MessageAttributes?.source?.StringValue).toBe('ops');
  });

  test('a FIFO topic gets the group id; --json prints the envelope', async () => {
    const { topicArn, queueUrl } = await subscribedQueue('cli-publish-fifo', true);

    const run = await fanout(['publish', '--topic-arn', topicArn, '--type', 'order.created', '--data', '"o-2"', '--group-id', 'customer-9', '--json']);

    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.envelope).toMatchObject({ type: 'order.created', source: 'fanout-cli', data: 'o-2' });
    const [message] = await drainQueue(sqs, queueUrl);
    expect(message.Attributes?.MessageGroupId).toBe('customer-9');
    expect(parseEnvelope(message.Body).id).toBe(result.envelope.id);
  });

  test('bad JSON in --data: one line naming --data, exit 2, nothing published', async () => {
    const { topicArn, queueUrl } = await subscribedQueue('cli-publish-bad');

    const run = await fanout(['publish', '--topic-arn', topicArn, '--type', 'order.created', '--data', '{orderId: o-1}']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^fanout publish: --data is not valid JSON \(.+\); quote it for the shell, e\.g\. --data '\{"orderId":"o-1"\}' \(see fanout publish --help\)\n$/);
    expect(await drainQueue(sqs, queueUrl)).toEqual([]);
  });

  test('--data @FILE that cannot be read: one line naming the file, exit 2', async () => {
    const run = await fanout(['publish', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:none', '--type', 'order.created', '--data', '@/nonexistent/big-order.json']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^fanout publish: --data @\/nonexistent\/big-order\.json: cannot read the file \(ENOENT: .+\) \(see fanout publish --help\)\n$/);
  });
});
