/**
 * Lambda's on-failure records: what an event source mapping of a Kinesis or DynamoDB stream, or of
 * Amazon MSK or self-managed Kafka, sends to its SQS on-failure destination when it gives up on a
 * batch. Batch metadata — where the records are (shard and sequence numbers, or topic, partition
 * and offsets), why Lambda gave up — not the records themselves.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html
 */

/** Where one part of a failed batch is: one shard, or one topic partition. */
export interface OnFailureRange {
  /** The stream's name (a DynamoDB stream: its table's), or the Kafka topic. */
  readonly streamOrTopic: string;
  readonly shardOrPartition: string;
  /** The first and last sequence number (streams) or offset (Kafka) of the batch. */
  readonly first?: string;
  readonly last?: string;
  /** When the first and last record arrived (streams) or were stamped (Kafka), ISO 8601. */
  readonly firstAt?: string;
  readonly lastAt?: string;
}

/** The useful fields of one on-failure record (also its `--json` shape). */
export interface OnFailureRecord {
  readonly kind: 'kinesis' | 'dynamodb' | 'kafka';
  /** Why Lambda gave up: `RetryAttemptsExhausted`, `RecordAgeExceeded`, `MaximumPayloadSizeExceeded`, … */
  readonly condition?: string;
  /** `Unhandled` (the handler threw) or `Handled`; absent when the function was not invoked. */
  readonly functionError?: string;
  readonly approximateInvokeCount?: number;
  /** When Lambda gave up, ISO 8601. */
  readonly failedAt?: string;
  readonly functionArn?: string;
  readonly eventSourceArn?: string;
  /** Records in the whole failed batch. */
  readonly batchSize?: number;
  readonly ranges: readonly OnFailureRange[];
}

type Fields = Record<string, unknown>;

/** The on-failure record in `body`, or undefined when the body is something else (an envelope, …). */
export function parseOnFailureRecord(body: string): OnFailureRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(value) || !isObject(value.requestContext)) return undefined;
  const streamInfo = isObject(value.KinesisBatchInfo) ? value.KinesisBatchInfo : isObject(value.DDBStreamBatchInfo) ? value.DDBStreamBatchInfo : undefined;
  const kafkaInfo = isObject(value.KafkaBatchInfo) ? value.KafkaBatchInfo : undefined;
  if (!streamInfo && !kafkaInfo) return undefined;
  const request = value.requestContext;
  const response = isObject(value.responseContext) ? value.responseContext : {};
  const common = {
    condition: text(request.condition),
    functionError: text(response.functionError),
    approximateInvokeCount: typeof request.approximateInvokeCount === 'number' ? request.approximateInvokeCount : undefined,
    failedAt: text(value.timestamp),
    functionArn: text(request.functionArn),
  };
  if (streamInfo) {
    const streamArn = text(streamInfo.streamArn);
    return withoutUndefined({
      kind: isObject(value.KinesisBatchInfo) ? 'kinesis' as const : 'dynamodb' as const,
      ...common,
      eventSourceArn: streamArn,
      batchSize: typeof streamInfo.batchSize === 'number' ? streamInfo.batchSize : undefined,
      ranges: [withoutUndefined({
        streamOrTopic: streamName(streamArn),
        shardOrPartition: text(streamInfo.shardId) ?? '',
        first: text(streamInfo.startSequenceNumber),
        last: text(streamInfo.endSequenceNumber),
        firstAt: text(streamInfo.approximateArrivalOfFirstRecord),
        lastAt: text(streamInfo.approximateArrivalOfLastRecord),
      })],
    });
  }
  const recordsInfo = isObject(kafkaInfo!.recordsInfo) ? kafkaInfo!.recordsInfo : {};
  return withoutUndefined({
    kind: 'kafka' as const,
    ...common,
    eventSourceArn: text(kafkaInfo!.eventSourceArn),
    batchSize: typeof kafkaInfo!.batchSize === 'number' ? kafkaInfo!.batchSize : undefined,
    // Keyed `<topic>-<partition>`; a topic name may itself contain hyphens.
    ranges: Object.entries(recordsInfo).map(([topicPartition, info]) => {
      const cut = topicPartition.lastIndexOf('-');
      const offsets = isObject(info) ? info : {};
      return withoutUndefined({
        streamOrTopic: cut > 0 ? topicPartition.slice(0, cut) : topicPartition,
        shardOrPartition: cut > 0 ? topicPartition.slice(cut + 1) : '',
        first: text(offsets.firstRecordOffset),
        last: text(offsets.lastRecordOffset),
        firstAt: text(offsets.firstRecordTimestamp),
        lastAt: text(offsets.lastRecordTimestamp),
      });
    }),
  });
}

/** `RetryAttemptsExhausted: Unhandled`: why Lambda gave up, and the function's error when it was invoked. */
export function describeFailure(record: OnFailureRecord): string {
  return [record.condition, record.functionError].filter((part) => part !== undefined).join(': ');
}

/** A Kinesis stream's name (`…:stream/<name>`), a DynamoDB stream's table (`…:table/<name>/stream/…`), else the ARN. */
function streamName(arn: string | undefined): string {
  if (arn === undefined) return '';
  return /:table\/([^/]+)\/stream\//.exec(arn)?.[1] ?? /:stream\/([^/]+)$/.exec(arn)?.[1] ?? arn;
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
