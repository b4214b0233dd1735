import type { SQSClient } from '@aws-sdk/client-sqs';
import { seededRandom } from './fault-preload';

/**
 * Duplicate deliveries on demand: SDK middleware on the SQS client a local deployment polls with
 * leaves `rate` of the messages undeleted after their first successful delivery, so SQS delivers
 * them again when the visibility timeout ends, as it may at any time in production.
 */
export function redeliverFirstDeliveries(client: SQSClient, rate: number, seed: number): void {
  const random = seededRandom(seed);
  const firstDeliveries = new Set<string>();
  client.middlewareStack.add((next, context) => async (args) => {
    const input = args.input as { Entries?: { ReceiptHandle?: string }[] };
    if (context.commandName === 'DeleteMessageBatchCommand' && input.Entries) {
      const kept = input.Entries.filter((entry) => !(firstDeliveries.delete(entry.ReceiptHandle ?? '') && random() < rate));
      if (kept.length === 0) {
        return { output: { Successful: [], Failed: [], $metadata: {} }, response: {} };
      }
      args = { ...args, input: { ...input, Entries: kept } as typeof args.input };
    }
    const result = await next(args);
    if (context.commandName === 'ReceiveMessageCommand') {
      const messages = (result.output as { Messages?: { ReceiptHandle?: string; Attributes?: Record<string, string> }[] }).Messages ?? [];
      for (const message of messages) {
        if (message.Attributes?.ApproximateReceiveCount === '1' && message.ReceiptHandle) {
          firstDeliveries.add(message.ReceiptHandle);
        }
      }
    }
    return result;
  }, { step: 'initialize', name: 'fanoutTestRedeliveries' });
}
