import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts the DynamoDB requests a client sends, by operation. Counted inside the retry loop, so
 * an SDK retry counts as the extra request it is.
 */
export class RequestCounter {
  private counts: Record<string, number> = {};

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => (args) => {
        const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
        this.counts[operation] = (this.counts[operation] ?? 0) + 1;
        return next(args);
      },
      { step: 'deserialize', priority: 'high', name: 'requestCounter' },
    );
  }

  /** The counts since the last call, and starts counting afresh. */
  take(): { total: number; byOperation: Record<string, number> } {
    const byOperation = this.counts;
    this.counts = {};
    return { total: Object.values(byOperation).reduce((sum, n) => sum + n, 0), byOperation };
  }
}
