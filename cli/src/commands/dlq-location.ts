import { ListStackResourcesCommand, type CloudFormationClient, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { optionalString, UsageError, type CommandContext, type OptionSpec } from './command.js';

/** The options that name a dead-letter queue: its URL, or a deployed stack and a consumer in it. */
export const DLQ_LOCATION_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'queue-url': { type: 'string', value: 'URL', description: 'URL of the dead-letter queue' },
  stack: { type: 'string', value: 'STACK', description: 'instead of --queue-url: the deployed stack (name or id) ...' },
  consumer: { type: 'string', value: 'ID', description: '... and the consumer\'s construct id or name (e.g. Billing or billing)' },
};

/** The DLQ URL from `--queue-url`, or looked up from `--stack` and `--consumer`. */
export async function deadLetterQueueUrl(context: CommandContext): Promise<string> {
  const queueUrl = optionalString(context.values, 'queue-url');
  const stack = optionalString(context.values, 'stack');
  const consumer = optionalString(context.values, 'consumer');
  if (queueUrl !== undefined) {
    if (stack !== undefined || consumer !== undefined) throw new UsageError('give either --queue-url or --stack with --consumer, not both');
    return queueUrl;
  }
  if (stack === undefined || consumer === undefined) throw new UsageError('--queue-url is required (or --stack with --consumer)');
  return deadLetterQueueUrlFromStack(context.clients.cloudFormation(), stack, consumer);
}

/** The URL of a consumer's DLQ in a deployed stack: every page of ListStackResources, then `pickDeadLetterQueue`. */
export async function deadLetterQueueUrlFromStack(client: CloudFormationClient, stack: string, consumer: string): Promise<string> {
  const resources: StackResourceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListStackResourcesCommand({ StackName: stack, NextToken: nextToken }));
    resources.push(...(page.StackResourceSummaries ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return pickDeadLetterQueue(resources, stack, consumer).PhysicalResourceId!;
}

/**
 * A consumer's DLQ (construct path `…/<Consumer id>/DeadLetterQueue/Resource`) has a logical id
 * `<TopicId><ConsumerId>DeadLetterQueue<8 hex digits>`, e.g. `OrdersBillingDeadLetterQueue924D16D9`;
 * construct paths are not available through the CloudFormation API, logical ids are.
 */
const DLQ_LOGICAL_ID = /^(.*)DeadLetterQueue[0-9A-F]{8}$/;

/**
 * The one dead-letter queue of `consumer` among a stack's resources. The consumer is matched
 * against the end of the id before `DeadLetterQueue`, ignoring case and dashes, so the construct
 * id (`OrderHistory`), the consumer name (`order-history`) and topic + consumer (`OrdersBilling`)
 * all work. None or several matches are errors that list the candidates.
 */
export function pickDeadLetterQueue(resources: readonly StackResourceSummary[], stack: string, consumer: string): StackResourceSummary {
  const queues = resources.filter((resource) => resource.ResourceType === 'AWS::SQS::Queue' && DLQ_LOGICAL_ID.test(resource.LogicalResourceId ?? ''));
  const wanted = normalize(consumer);
  const matches = queues.filter((queue) => normalize(DLQ_LOGICAL_ID.exec(queue.LogicalResourceId!)![1]).endsWith(wanted));
  const names = (list: readonly StackResourceSummary[]) => list.map((queue) => queue.LogicalResourceId).join(', ');
  if (matches.length === 1 && matches[0].PhysicalResourceId) return matches[0];
  if (matches.length === 1) throw new Error(`stack ${stack}: ${matches[0].LogicalResourceId} has no physical id yet (status ${matches[0].ResourceStatus})`);
  if (matches.length === 0) {
    throw new Error(`stack ${stack} has no dead-letter queue for consumer "${consumer}"; ${queues.length ? `its consumers' dead-letter queues: ${names(queues)}` : 'it has no fan-out dead-letter queues'}`);
  }
  throw new Error(`consumer "${consumer}" matches ${matches.length} dead-letter queues in stack ${stack} (${names(matches)}); add the topic id, e.g. --consumer ${DLQ_LOGICAL_ID.exec(matches[0].LogicalResourceId!)![1]}`);
}

/** Logical ids keep only letters and digits of construct ids; compare what both have. */
function normalize(id: string): string {
  return id.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}
