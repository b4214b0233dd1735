import { DescribeStackResourceCommand, GetTemplateCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { findConsumerQueues, queuesOfTemplate, type DeadLetterRole } from '@cdk-fanout/runtime/names';
import { deadLetterSourceQueues, type QueueFacts } from '@cdk-fanout/runtime/redrive';
import { optionalString, UsageError, type CommandContext, type OptionSpec } from './command';
import { kafkaDeadLetterTopicMessage, kafkaDeadLetterTopicOf } from './kafka-dead-letter-topic';

/** The options that name a dead-letter queue: its URL, or a deployed stack and a consumer in it. */
export const DLQ_LOCATION_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'queue-url': { type: 'string', value: 'URL', description: 'URL of the dead-letter queue' },
  stack: { type: 'string', value: 'STACK', description: 'instead of --queue-url: the deployed stack (name or id) ...' },
  consumer: { type: 'string', value: 'ID', description: '... and the consumer\'s name or construct id (e.g. order-history or OrderHistory)' },
};

/** `--force`: of the commands that must not touch a live queue by mistake. */
export const FORCE_OPTION: Readonly<Record<string, OptionSpec>> = {
  force: { type: 'boolean', description: 'with --queue-url: run on a queue even though it is not a dead-letter queue (no queue\'s redrive policy names it)' },
};

/** Where a dead-letter queue was found: its URL and, found by the stack's tags, its role and its consumer's queue. */
export interface DeadLetterQueueLocation {
  readonly deadLetterQueueUrl: string;
  /** The consumer's queue; only when asked for (`withQueue`) and the consumer has one. */
  readonly queueUrl?: string;
  /** What the DLQ holds, by its `fanout:role` tag; absent for `--queue-url`, where nothing says. */
  readonly deadLetterRole?: DeadLetterRole;
}

/**
 * Refuses a queue that is not a dead-letter queue — no queue's redrive policy names it
 * (ListDeadLetterSourceQueues) — unless `--force`: reading a live queue raises receive counts
 * until SQS dead-letters its messages, and purging one deletes work still to be done. `what`
 * says what the command would do to it. A queue found by its tags (`--stack`/`--consumer`, so
 * `deadLetterRole` is set) is known to be a dead-letter queue, though none names it when its
 * consumer has no queue of its own (stream, Kafka, RabbitMQ): it is not asked about.
 */
export async function requireDeadLetterQueue(context: CommandContext, sqs: SQSClient, queue: Pick<QueueFacts, 'url' | 'arn'>, what: string, location: Pick<DeadLetterQueueLocation, 'deadLetterRole'> = {}): Promise<void> {
  if (context.values.force === true || location.deadLetterRole !== undefined) return;
  if ((await deadLetterSourceQueues(sqs, queue.url, queue.arn)).length > 0) return;
  throw new Error(`${queue.url} is not a dead-letter queue (no queue's redrive policy names it): ${what}; pass --force to run on it anyway`);
}

/**
 * The DLQ named by `--queue-url`, or by `--stack` and `--consumer`; the stack's lookup also gives
 * what the DLQ holds (its role) and, with `withQueue`, the consumer's own queue when it has one
 * (the queue the DLQ's messages belong in). A bare `--queue-url` says nothing about the consumer:
 * `queueUrl` and `deadLetterRole` are then absent.
 */
export async function locateDeadLetterQueue(context: CommandContext, { withQueue = false } = {}): Promise<DeadLetterQueueLocation> {
  const queueUrl = optionalString(context.values, 'queue-url');
  const stack = optionalString(context.values, 'stack');
  const consumer = optionalString(context.values, 'consumer');
  if (queueUrl !== undefined) {
    if (stack !== undefined || consumer !== undefined) throw new UsageError('give either --queue-url or --stack with --consumer, not both');
    return { deadLetterQueueUrl: queueUrl };
  }
  if (stack === undefined || consumer === undefined) throw new UsageError('--queue-url is required (or --stack with --consumer)');
  return consumerQueueUrlsFromStack(context.clients.cloudFormation(), stack, consumer, { withQueue });
}

/** The URL of a consumer's DLQ in a deployed stack (see `consumerQueueUrlsFromStack`). */
export async function deadLetterQueueUrlFromStack(client: CloudFormationClient, stack: string, consumer: string): Promise<string> {
  return (await consumerQueueUrlsFromStack(client, stack, consumer)).deadLetterQueueUrl;
}

/**
 * The URL and role of a consumer's DLQ (and, with `withQueue`, its queue's URL when it has one) in
 * a deployed stack: the deployed template names the queues by their tags (`findConsumerQueues`,
 * the lookup the local deployment uses too), then CloudFormation gives each resource's physical
 * id, the queue URL. A Kafka consumer whose failed records go to a Kafka topic has no such queue:
 * it is refused in one line naming the topic and how to read it.
 */
export async function consumerQueueUrlsFromStack(client: CloudFormationClient, stack: string, consumer: string, { withQueue = false } = {}): Promise<DeadLetterQueueLocation & { deadLetterRole: DeadLetterRole }> {
  const { TemplateBody } = await client.send(new GetTemplateCommand({ StackName: stack, TemplateStage: 'Original' }));
  const template = parseTemplate(TemplateBody, stack);
  const deadLetterTopic = kafkaDeadLetterTopicOf(template, consumer);
  if (deadLetterTopic) {
    throw new Error(kafkaDeadLetterTopicMessage(`stack ${stack}`, consumer, deadLetterTopic));
  }
  const { queue, deadLetterQueue, deadLetterRole } = findConsumerQueues(queuesOfTemplate(template), consumer, `stack ${stack}`);
  const deadLetterQueueUrl = await physicalId(client, stack, deadLetterQueue.logicalId);
  return withQueue && queue
    ? { deadLetterQueueUrl, queueUrl: await physicalId(client, stack, queue.logicalId), deadLetterRole }
    : { deadLetterQueueUrl, deadLetterRole };
}

async function physicalId(client: CloudFormationClient, stack: string, logicalId: string): Promise<string> {
  const { StackResourceDetail } = await client.send(new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: logicalId }));
  if (!StackResourceDetail?.PhysicalResourceId) {
    throw new Error(`stack ${stack}: ${logicalId} has no physical id yet (status ${StackResourceDetail?.ResourceStatus ?? 'unknown'})`);
  }
  return StackResourceDetail.PhysicalResourceId;
}

/** cdk deploys JSON templates; a stack deployed from YAML is not one of ours to look into. */
function parseTemplate(body: string | undefined, stack: string): { Resources?: Record<string, unknown> } {
  try {
    return JSON.parse(body ?? '{}') as { Resources?: Record<string, unknown> };
  } catch {
    throw new Error(`stack ${stack}: its template is not JSON (not deployed by cdk); give --queue-url instead`);
  }
}
