/*
 * Fault injection for Kinesis writes, as SDK middleware on a real KinesisClient talking to
 * kinesalite. (Lost responses: `loseSnsResponses` works on any client and command, e.g.
 * `PutRecordsCommand`.)
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { uniqueName } from './aws';

/** A PutRecords record as the SDK holds it before serializing. */
export interface PutRecordsEntry {
  readonly Data: Uint8Array;
  readonly PartitionKey: string;
  readonly ExplicitHashKey?: string;
}

/**
 * Kinesis fails chosen records of a PutRecords call, as it does when a shard is over its
 * throughput: `choose` gets each call's records and returns the positions to fail; they are taken
 * out of the request before it reaches kinesalite (so they are not written), and the response
 * lists them, at their positions, with `ErrorCode` (ProvisionedThroughputExceededException by
 * default) and `FailedRecordCount`. The other records go through, in order. Returns the calls seen,
 * each as its records' partition keys.
 */
export function failKinesisRecords(
  client: { middlewareStack: unknown },
  choose: (records: readonly PutRecordsEntry[]) => Iterable<number>,
  errorCode = 'ProvisionedThroughputExceededException',
): string[][] {
  const calls: string[][] = [];
  (client.middlewareStack as KinesisClient['middlewareStack']).add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutRecordsCommand') return next(args);
      const input = args.input as { StreamName?: string; Records: PutRecordsEntry[] };
      const records = input.Records;
      calls.push(records.map((record) => record.PartitionKey));
      const failed = new Set(choose(records));
      if (failed.size === 0) return next(args);
      const kept = records.filter((_, position) => !failed.has(position));
      const result = kept.length > 0
        ? await next({ ...args, input: { ...input, Records: kept } })
        : { output: { $metadata: {}, FailedRecordCount: 0, Records: [] }, response: {} };
      const output = result.output as { FailedRecordCount?: number; Records?: unknown[] };
      const written = [...(output.Records ?? [])];
      output.Records = records.map((_, position) => (failed.has(position)
        ? { ErrorCode: errorCode, ErrorMessage: `injected: Rate exceeded for shard of stream ${input.StreamName ?? ''}` }
        : written.shift()));
      output.FailedRecordCount = (output.FailedRecordCount ?? 0) + failed.size;
      return result;
    },
    { step: 'initialize', name: uniqueName('failKinesisRecords') },
  );
  return calls;
}
