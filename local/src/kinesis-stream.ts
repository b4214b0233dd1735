import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { setTimeout as delay } from 'node:timers/promises';
import type { LocalFunctionSpec, LocalQueue } from './provision';
import type { KinesisPort } from './provisioners/ports';
import { isTrue } from './provisioners/properties';

/** A Kinesis data stream of the template, on kinesalite. */
export interface LocalStream {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

/** Where a new mapping starts reading each shard. */
export type StreamStartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** A Kinesis event source mapping of the template, as the local poller runs it. */
export interface LocalStreamEventSource {
  readonly logicalId: string;
  readonly stream: LocalStream;
  readonly function: LocalFunctionSpec;
  /** Records per invocation (`BatchSize`, default 100). */
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: StreamStartingPosition;
  /** With AT_TIMESTAMP: Unix time, seconds. */
  readonly startingPositionTimestamp?: number;
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnError: boolean;
  /** `MaximumRetryAttempts`; -1 (the default) retries until the records expire. */
  readonly maximumRetryAttempts: number;
  /** `MaximumRecordAgeInSeconds`; -1 (the default) sets no limit. */
  readonly maximumRecordAgeSeconds: number;
  /** The SQS queue of `DestinationConfig.OnFailure`: where given-up batches are described. */
  readonly onFailure?: LocalQueue;
}

/** ON_DEMAND streams start with 4 shards on AWS; so do they here. */
const ON_DEMAND_SHARDS = 4;

/**
 * Creates an `AWS::Kinesis::Stream` (shard count, or 4 for ON_DEMAND) and waits until it is
 * ACTIVE. A stream that already exists (the app ran on this emulator before) is kept with its
 * records, as a redeployment keeps one.
 */
export async function createStream(client: KinesisPort, logicalId: string, name: string, props: Record<string, unknown>): Promise<LocalStream> {
  const onDemand = (props.StreamModeDetails as { StreamMode?: unknown } | undefined)?.StreamMode === 'ON_DEMAND';
  const shards = onDemand ? ON_DEMAND_SHARDS : Number(props.ShardCount ?? 1);
  try {
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  for (let polls = 0; ; polls++) {
    const { StreamDescriptionSummary: summary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary?.StreamStatus === 'ACTIVE') {
      return { logicalId, name, arn: summary.StreamARN! };
    }
    if (polls >= 500) {
      throw new Error(`stream ${name} is still ${summary?.StreamStatus} after 5 s`);
    }
    await delay(10);
  }
}

/**
 * The local form of a Kinesis `AWS::Lambda::EventSourceMapping`'s properties (already resolved),
 * with CloudFormation's defaults. `onFailure` is the queue its on-failure destination names, when
 * that is a queue of the template.
 */
export function streamEventSourceOf(logicalId: string, props: Record<string, unknown>, stream: LocalStream, fn: LocalFunctionSpec, onFailure: LocalQueue | undefined): LocalStreamEventSource {
  const position = String(props.StartingPosition ?? 'LATEST');
  if (position !== 'TRIM_HORIZON' && position !== 'LATEST' && position !== 'AT_TIMESTAMP') {
    throw new Error(`StartingPosition '${position}' is not one of TRIM_HORIZON, LATEST, AT_TIMESTAMP`);
  }
  return {
    logicalId,
    stream,
    function: fn,
    batchSize: Number(props.BatchSize ?? 100),
    maxBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
    startingPosition: position,
    ...(props.StartingPositionTimestamp !== undefined && { startingPositionTimestamp: Number(props.StartingPositionTimestamp) }),
    reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
    bisectBatchOnError: isTrue(props.BisectBatchOnFunctionError),
    maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
    maximumRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
    ...(onFailure && { onFailure }),
  };
}
