import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { groupIntoLanes } from '../scheduler.js';
import type { SourceBatch } from './batch.js';

/**
 * An SQS event (a fan-out consumer's or a work queue's queue): a FIFO queue's records run in one
 * lane per message group, a standard queue's each in its own; every failed record is reported.
 */
export function sqsBatch(event: SQSEvent): SourceBatch<SQSBatchResponse> {
  const records = event.Records ?? [];
  // Queue type from the source ARN: standard (fair) queues may carry group ids too, without ordering.
  const fifo = records[0]?.eventSourceARN?.endsWith('.fifo') ?? false;
  const lanes = groupIntoLanes(records.map((_, index) => index), (index) => (fifo ? records[index].attributes?.MessageGroupId : undefined));
  return {
    records,
    lanes,
    waitsOutLocks: false,
    respond: (outcomes) => ({
      batchItemFailures: records.filter((_, index) => outcomes[index].kind === 'failed').map((record) => ({ itemIdentifier: record.messageId })),
    }),
  };
}
