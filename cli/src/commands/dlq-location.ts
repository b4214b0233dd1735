import { DescribeStackResourceCommand, GetTemplateCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { findConsumerQueues, queuesOfTemplate } from '@cdk-fanout/runtime/names';
import { optionalString, UsageError, type CommandContext, type OptionSpec } from './command';

/** The options that name a dead-letter queue: its URL, or a deployed stack and a consumer in it. */
export const DLQ_LOCATION_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'queue-url': { type: 'string', value: 'URL', description: 'URL of the dead-letter queue' },
  stack: { type: 'string', value: 'STACK', description: 'instead of --queue-url: the deployed stack (name or id) ...' },
  consumer: { type: 'string', value: 'ID', description: '... and the consumer\'s name or construct id (e.g. order-history or OrderHistory)' },
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

/**
 * The URL of a consumer's DLQ in a deployed stack: the deployed template names the queue by its
 * tags (`findConsumerQueues`, the lookup the local deployment uses too), then CloudFormation gives
 * that resource's physical id, the queue URL.
 */
export async function deadLetterQueueUrlFromStack(client: CloudFormationClient, stack: string, consumer: string): Promise<string> {
  const { TemplateBody } = await client.send(new GetTemplateCommand({ StackName: stack, TemplateStage: 'Original' }));
  const { deadLetterQueue } = findConsumerQueues(queuesOfTemplate(parseTemplate(TemplateBody, stack)), consumer, `stack ${stack}`);
  const { StackResourceDetail } = await client.send(new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: deadLetterQueue.logicalId }));
  if (!StackResourceDetail?.PhysicalResourceId) {
    throw new Error(`stack ${stack}: ${deadLetterQueue.logicalId} has no physical id yet (status ${StackResourceDetail?.ResourceStatus ?? 'unknown'})`);
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
