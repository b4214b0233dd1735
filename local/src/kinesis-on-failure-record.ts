/**
 * What Lambda sends to a Kinesis event source mapping's on-failure destination when it gives up
 * on records: where they are (shard, first and last sequence number, stream), why, and how the
 * last invocation ended — not the records themselves.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
 */
export interface KinesisOnFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    /** `RetryAttemptsExhausted`, or `RecordAgeExceeded` when the records were too old to be sent. */
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  /** The last invocation's answer; absent when the function was not invoked. */
  readonly responseContext?: {
    readonly statusCode: number;
    readonly executedVersion: string;
    /** `Unhandled` when the function threw, crashed or timed out; absent when it answered with failed items. */
    readonly functionError?: 'Unhandled';
  };
  readonly version: '1.0';
  /** When Lambda gave up, ISO 8601. */
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/** One given-up record: its sequence number and when it arrived (epoch ms). */
export interface GivenUpRecord {
  readonly sequenceNumber: string;
  readonly arrivalMs: number;
}

/** How the last invocation of the given-up records ended; undefined when they were not sent. */
export type LastInvocation = { readonly functionError: boolean } | undefined;

/** The on-failure record for `records` (in sequence order, at least one) of `shardId`. */
export function kinesisOnFailureRecord(details: {
  readonly requestId: string;
  readonly functionArn: string;
  readonly streamArn: string;
  readonly shardId: string;
  readonly records: readonly GivenUpRecord[];
  readonly approximateInvokeCount: number;
  readonly lastInvocation: LastInvocation;
  readonly nowMs: number;
}): KinesisOnFailureRecord {
  const first = details.records[0];
  const last = details.records[details.records.length - 1];
  const { lastInvocation } = details;
  return {
    requestContext: {
      requestId: details.requestId,
      functionArn: details.functionArn,
      condition: lastInvocation ? 'RetryAttemptsExhausted' : 'RecordAgeExceeded',
      approximateInvokeCount: details.approximateInvokeCount,
    },
    ...(lastInvocation && {
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(lastInvocation.functionError && { functionError: 'Unhandled' as const }) },
    }),
    version: '1.0',
    timestamp: new Date(details.nowMs).toISOString(),
    KinesisBatchInfo: {
      shardId: details.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
      batchSize: details.records.length,
      streamArn: details.streamArn,
    },
  };
}
