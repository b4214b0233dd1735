import type { BatchCounts } from './outcome.js';

/** CloudWatch embedded metric format (EMF) for one batch. */
export interface MetricsOptions {
  /**
   * CloudWatch namespace of the metrics.
   * @default 'CdkFanout'
   */
  readonly namespace?: string;
}

const METRIC_NAMES: Record<keyof BatchCounts, string> = {
  processed: 'Processed',
  duplicates: 'Duplicates',
  skipped: 'Skipped',
  poisoned: 'Poison',
  failed: 'Failures',
  completionWriteFailures: 'CompletionWriteFailures',
};

/**
 * One EMF log line: CloudWatch turns it into metrics with no API call from the handler.
 * The dimension is the consumer name, so each consumer of a topic has its own series.
 */
export function emfLine(namespace: string, consumerName: string, counts: BatchCounts, timestampMs: number): string {
  const keys = Object.keys(METRIC_NAMES) as (keyof BatchCounts)[];
  const values = Object.fromEntries(keys.map((key) => [METRIC_NAMES[key], counts[key]]));
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{
        Namespace: namespace,
        Dimensions: [['ConsumerName']],
        Metrics: keys.map((key) => ({ Name: METRIC_NAMES[key], Unit: 'Count' })),
      }],
    },
    ConsumerName: consumerName,
    ...values,
  });
}
