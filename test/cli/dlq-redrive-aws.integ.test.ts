/*
 * `fanout dlq redrive` as it runs on AWS: the command's own clients talk to a proxy that answers
 * what no emulator implements (StartMessageMoveTask, ListMessageMoveTasks,
 * ListDeadLetterSourceQueues, CloudFormation) with recorded responses, and forwards the rest to
 * fauxqs. The task always names its destination (the consumer's queue): most messages in a
 * consumer's DLQ were sent there directly, so SQS knows no source queue to return them to.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_REGION } from '@cdk-fanout/local';
import { findConsumerQueues, queuesOfTemplate } from '@cdk-fanout/runtime/names';
import { createSourceAndDlq, depth, drainQueue, envelopeBody, envelopeId, send, sqsClient } from '@cdk-fanout/testing';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FanOutTopic } from '../../lib';
import { describeStackResourceResponse, getTemplateResponse } from './support/cloudformation';
import { startProxy, type Proxy } from './support/proxy';
import { fanout } from './support/run';

const TASK_HANDLE = 'eyJ0YXNrSWQiOiJkYzE2OWUwNC0wZTU1LTQ0ZDItYWE5MC1jMDgwY2ExZjM2ZjciLCJzb3VyY2VBcm4iOiJhcm46YXdzOnNxczp1cy1lYXN0LTE6MDAwMDAwMDAwMDAwOmRscSJ9';
const ONE_LINE = /^[^\n]+\n$/;

let sqs: SQSClient;
const proxies: Proxy[] = [];
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(async () => {
  sqs.destroy();
  await Promise.all(proxies.map((proxy) => proxy.close()));
});

/** A finished task, as ListMessageMoveTasks lists it (SQS drops the handle of a finished task). */
function finishedTask(sourceArn: string, status: 'COMPLETED' | 'CANCELLED', moved: number, toMove: number) {
  return { Results: [{ Status: status, SourceArn: sourceArn, ApproximateNumberOfMessagesMoved: moved, ApproximateNumberOfMessagesToMove: toMove, StartedTimestamp: 1_442_428_276_921 }] };
}

async function proxy(canned: Parameters<typeof startProxy>[1]): Promise<Proxy> {
  const started = await startProxy(process.env.FANOUT_TEST_FAUXQS_ENDPOINT!, canned);
  proxies.push(started);
  return started;
}

/** `fanout <args>` against the proxy instead of fauxqs. */
const run = (endpoint: string, args: readonly string[]) => fanout([...args, '--endpoint', endpoint, '--region', LOCAL_REGION], { local: false });

async function dlqWith(prefix: string, ids: readonly string[]) {
  const queues = await createSourceAndDlq(sqs, prefix);
  for (const id of ids) await send(sqs, queues.dlq.url, envelopeBody(id));
  return queues;
}

describe('fanout dlq redrive on AWS: the message move task', () => {
  test('--stack/--consumer: the task goes to the consumer\'s queue the template names, without asking SQS for the source', async () => {
    const { source, dlq } = await dlqWith('cli-aws-stack', ['s-1', 's-2', 's-3']);
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'OrdersFanOut');
    new FanOutTopic(stack, 'Orders').addConsumer('Billing');
    const template = Template.fromStack(stack).toJSON();
    const { queue, deadLetterQueue } = findConsumerQueues(queuesOfTemplate(template), 'billing', 'test');
    if (!queue) throw new Error('billing has a queue');
    const endpoint = await proxy({
      GetTemplate: [getTemplateResponse(template)],
      // The DLQ is looked up first, then the consumer's queue.
      DescribeStackResource: [describeStackResourceResponse(deadLetterQueue.logicalId, dlq.url), describeStackResourceResponse(queue.logicalId, source.url)],
      StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }],
      ListMessageMoveTasks: [finishedTask(dlq.arn, 'COMPLETED', 3, 3)],
    });

    const result = await run(endpoint.url, ['dlq', 'redrive', '--stack', 'OrdersFanOut', '--consumer', 'billing']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`Moved ~3 message(s) from ${dlq.url} to ${source.url} with an SQS message move task. Task COMPLETED: ${TASK_HANDLE}.\n`);
    expect(endpoint.requests.find((request) => request.operation === 'StartMessageMoveTask')?.body).toEqual({ SourceArn: dlq.arn, DestinationArn: source.arn });
    expect(endpoint.requests.map((request) => request.operation)).not.toContain('ListDeadLetterSourceQueues');
  });

  test('--queue-url: the destination is the queue whose redrive policy names the DLQ (ListDeadLetterSourceQueues)', async () => {
    const { source, dlq } = await dlqWith('cli-aws-url', ['u-1']);
    const endpoint = await proxy({
      ListDeadLetterSourceQueues: [{ queueUrls: [source.url] }],
      StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }],
      ListMessageMoveTasks: [finishedTask(dlq.arn, 'COMPLETED', 1, 1)],
    });

    const result = await run(endpoint.url, ['dlq', 'redrive', '--queue-url', dlq.url]);

    expect(result.code).toBe(0);
    expect(endpoint.requests.find((request) => request.operation === 'StartMessageMoveTask')?.body).toEqual({ SourceArn: dlq.arn, DestinationArn: source.arn });
  });

  test('a cancelled task: says how many remain and how to finish, exit 1', async () => {
    const { source, dlq } = await dlqWith('cli-aws-cancelled', ['c-1', 'c-2', 'c-3']);
    const endpoint = await proxy({
      StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }],
      ListMessageMoveTasks: [finishedTask(dlq.arn, 'CANCELLED', 120, 1000)],
    });

    const result = await run(endpoint.url, ['dlq', 'redrive', '--queue-url', dlq.url, '--to', source.url]);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(ONE_LINE);
    expect(result.stderr).toBe(`fanout dlq redrive: message move task CANCELLED after moving ~120 message(s); ~880 remain in ${dlq.url}. `
      + 'Nothing was lost: run it again, or add --message-by-message to move them by receive, send and delete\n');
  });

  test('--message-by-message: receive, send and delete, no task', async () => {
    const { source, dlq } = await dlqWith('cli-aws-by-message', ['m-1', 'm-2']);
    const endpoint = await proxy({
      ListDeadLetterSourceQueues: [{ queueUrls: [source.url] }],
      StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }],
    });

    const result = await run(endpoint.url, ['dlq', 'redrive', '--queue-url', dlq.url, '--message-by-message']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`Moved 2 message(s) from ${dlq.url} to ${source.url} by receive, send and delete (moving message by message was asked for).\n`);
    expect(endpoint.requests.map((request) => request.operation)).not.toContain('StartMessageMoveTask');
    expect((await drainQueue(sqs, source.url)).map((message) => envelopeId(message.Body)).sort()).toEqual(['m-1', 'm-2']);
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('--to the dead-letter queue itself: refused in one line, nothing started or moved', async () => {
    const { dlq } = await dlqWith('cli-aws-itself', ['i-1', 'i-2', 'i-3']);
    const endpoint = await proxy({
      StartMessageMoveTask: [{ TaskHandle: TASK_HANDLE }],
      ListMessageMoveTasks: [finishedTask(dlq.arn, 'COMPLETED', 3, 3)],
    });

    const result = await run(endpoint.url, ['dlq', 'redrive', '--queue-url', dlq.url, '--to', dlq.url]);

    expect(result).toEqual({ code: 1, stdout: '', stderr: `fanout dlq redrive: refusing to redrive ${dlq.url} into itself: give the queue its messages belong in as the destination\n` });
    expect(endpoint.requests.map((request) => request.operation)).not.toContain('StartMessageMoveTask');
    expect(await depth(sqs, dlq.url)).toEqual({ visible: 3, inFlight: 0 });
  });
});
