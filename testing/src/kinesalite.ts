/*
 * Kinesis for the tests: kinesalite (npm, pure Node, in memory) in the test's own process, started
 * on a free port by the first test that needs it and stopped after the file's tests, with the
 * local deployment's start-up and HTTP/1.1 client.
 */
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { createStream as createLocalStream, kinesaliteClient, startKinesalite, type Emulator } from '@cdk-fanout/local';
import { uniqueName } from './aws';

export interface RunningKinesalite {
  readonly endpoint: string;
  /** A Kinesis client for it (HTTP/1.1), with `config` on top. */
  client(config?: KinesisClientConfig): KinesisClient;
}

/**
 * A kinesalite started at the first `get()` and stopped by `stop()` (call it in `afterAll`); a
 * file whose tests never call `get()` starts nothing.
 */
export function lazyKinesalite(): { get(): Promise<RunningKinesalite>; stop(): Promise<void> } {
  let started: Promise<Emulator> | undefined;
  return {
    get: async () => {
      const { endpoint } = await (started ??= startKinesalite());
      return { endpoint, client: (config = {}) => kinesaliteClient(endpoint, config) };
    },
    stop: async () => {
      if (!started) return;
      const emulator = await started;
      started = undefined;
      await emulator.stop();
    },
  };
}

/** A new stream with `shards` shards, once ACTIVE (the local deployment's stream creation): its name. */
export async function createStream(client: KinesisClient, shards: number, prefix = 'stream'): Promise<string> {
  const name = uniqueName(prefix);
  return (await createLocalStream(client, name, name, { ShardCount: shards })).name;
}

/** One record as GetRecords returns it. */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: string;
}

/** Every record of every shard, read with GetRecords from TRIM_HORIZON: per shard in sequence order. */
export async function readStream(client: KinesisClient, streamName: string): Promise<StreamRecord[]> {
  const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: streamName }));
  const records: StreamRecord[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of response.Records ?? []) {
        records.push({ shardId: shard.ShardId!, sequenceNumber: record.SequenceNumber!, partitionKey: record.PartitionKey!, data: Buffer.from(record.Data!).toString('utf8') });
      }
      // An open shard always has a next iterator: stop at the first empty read (kinesalite answers with everything it has).
      if (!response.Records?.length) break;
      iterator = response.NextShardIterator;
    }
  }
  return records;
}
