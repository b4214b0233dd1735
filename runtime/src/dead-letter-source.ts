import { GetQueueAttributesCommand, ListDeadLetterSourceQueuesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { isUnsupportedOperation } from './unsupported-operation.js';

/**
 * The queues whose redrive policy names this dead-letter queue. Uses ListDeadLetterSourceQueues;
 * endpoints without it (local emulators) are answered by reading every queue's RedrivePolicy.
 */
export async function deadLetterSourceQueues(client: SQSClient, deadLetterQueueUrl: string, deadLetterQueueArn: string): Promise<string[]> {
  try {
    return await listDeadLetterSourceQueues(client, deadLetterQueueUrl);
  } catch (error) {
    if (!isUnsupportedOperation(error)) throw error;
    return scanRedrivePolicies(client, deadLetterQueueArn);
  }
}

/**
 * The one queue a dead-letter queue's messages go back to. A DLQ can serve several queues, and
 * a message does not say which one it came from, so more than one is a question only the caller
 * can answer.
 */
export function pickSourceQueue(deadLetterQueueUrl: string, sources: readonly string[]): string {
  if (sources.length === 1) return sources[0];
  if (sources.length === 0) {
    throw new Error(`no queue names ${deadLetterQueueUrl} as its dead-letter queue; give the destination queue explicitly`);
  }
  throw new Error(`${sources.length} queues use ${deadLetterQueueUrl} as their dead-letter queue (${sources.join(', ')}); give the destination queue explicitly`);
}

async function listDeadLetterSourceQueues(client: SQSClient, queueUrl: string): Promise<string[]> {
  const urls: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: queueUrl, MaxResults: 1000, NextToken: nextToken }));
    urls.push(...(page.queueUrls ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return urls;
}

async function scanRedrivePolicies(client: SQSClient, deadLetterQueueArn: string): Promise<string[]> {
  const sources: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListQueuesCommand({ MaxResults: 1000, NextToken: nextToken }));
    for (const url of page.QueueUrls ?? []) {
      if (await redrivePolicyTarget(client, url) === deadLetterQueueArn) sources.push(url);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return sources;
}

/** The DLQ ARN in a queue's RedrivePolicy; undefined for none, an unreadable one, or a queue deleted meanwhile. */
async function redrivePolicyTarget(client: SQSClient, queueUrl: string): Promise<string | undefined> {
  let policy: string | undefined;
  try {
    const response = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
    policy = response.Attributes?.RedrivePolicy;
  } catch (error) {
    if ((error as Error).name === 'QueueDoesNotExist') return undefined;
    throw error;
  }
  if (!policy) return undefined;
  try {
    const target = (JSON.parse(policy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
    return typeof target === 'string' ? target : undefined;
  } catch {
    return undefined;
  }
}
