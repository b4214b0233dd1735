import type { Envelope } from '@cdk-fanout/runtime';

export const MSK_CLUSTER_ARN = 'arn:aws:kafka:us-east-1:000000000000:cluster/orders/a1b2c3d4-5678-90ab-cdef-111111111111-1';

/** One record of Lambda's Kafka event: base64 key and value, headers as byte arrays. */
export interface KafkaEventRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, number[]>[];
}

const bytes = (text: string) => [...Buffer.from(text, 'utf8')];

/**
 * A Kafka record as Lambda delivers it; an envelope gets the headers the Kafka publisher sets
 * (`type`, `version`, `source`) and its id as the key unless `key` is given.
 */
export function kafkaEventRecord(body: string | Envelope, options: {
  readonly offset: number;
  readonly partition?: number;
  readonly topic?: string;
  readonly key?: string;
  readonly headers?: Record<string, string>;
}): KafkaEventRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = options.headers ?? (typeof body === 'string' ? {} : { type: body.type, version: body.version, source: body.source });
  return {
    topic: options.topic ?? 'orders',
    partition: options.partition ?? 0,
    offset: options.offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: Buffer.from(options.key ?? (typeof body === 'string' ? 'key' : body.id), 'utf8').toString('base64'),
    value: Buffer.from(text, 'utf8').toString('base64'),
    headers: Object.entries(headers).map(([name, value]) => ({ [name]: bytes(value) })),
  };
}

/** Lambda's event for an MSK (default) or self-managed Kafka mapping: records keyed by `<topic>-<partition>`. */
export function kafkaEvent(records: readonly KafkaEventRecord[], source: 'msk' | 'self-managed' = 'msk') {
  const byPartition: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) (byPartition[`${record.topic}-${record.partition}`] ??= []).push(record);
  return source === 'msk'
    ? { eventSource: 'aws:kafka' as const, eventSourceArn: MSK_CLUSTER_ARN, bootstrapServers: 'b-1.orders.kafka.us-east-1.amazonaws.com:9098', records: byPartition }
    : { eventSource: 'SelfManagedKafka' as const, bootstrapServers: 'kafka-1.example.com:9092', records: byPartition };
}
