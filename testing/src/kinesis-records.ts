import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { Envelope } from '@cdk-fanout/runtime';

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/orders';

/** A Kinesis record as Lambda delivers it (`data` base64), on shard `shardId-00000000000<shard>`. */
export function kinesisStreamRecord(body: string | Envelope, options: {
  readonly sequenceNumber: string | bigint | number;
  readonly shard?: number;
  readonly partitionKey?: string;
  readonly streamArn?: string;
}): KinesisStreamRecord {
  const shardId = `shardId-${String(options.shard ?? 0).padStart(12, '0')}`;
  const sequenceNumber = String(options.sequenceNumber);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: options.partitionKey ?? (typeof body === 'string' ? 'key' : body.id),
      sequenceNumber,
      data: Buffer.from(text, 'utf8').toString('base64'),
      approximateArrivalTimestamp: Date.now() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/consumer',
    awsRegion: 'us-east-1',
    eventSourceARN: options.streamArn ?? STREAM_ARN,
  };
}

export function kinesisEvent(...records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}
