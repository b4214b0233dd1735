/**
 * Where Lambda sends the records of a batch it gave up on (after `retryAttempts`, or older than
 * `maxRecordAge`).
 */
export enum KafkaDeadLetter {
  /**
   * A Kafka topic of the same cluster (`deadLetterTopic`): Lambda writes the failed records
   * themselves there, with failure metadata, so they can be consumed again.
   */
  KAFKA_TOPIC = 'KAFKA_TOPIC',
  /**
   * The consumer's own SQS dead-letter queue (14 days, TLS-only, tagged, alarmed): Lambda sends a
   * description of each failed batch (topic, partition, offsets), not the records; the handler
   * sends poison records there too (`FANOUT_DLQ_URL`).
   */
  SQS_QUEUE = 'SQS_QUEUE',
}
