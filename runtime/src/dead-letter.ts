import { type MessageAttributeValue, SendMessageCommand, type SendMessageCommandInput, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { ATTRIBUTE_ERROR, ATTRIBUTE_REASON } from './names.js';
import { attributesThatFit } from './decide.js';
import type { PoisonMessageError } from './poison-message-error.js';
import { toWellFormed } from './unicode.js';

/** Long enough for any validation message, short enough not to push a large body over SQS's 256 KiB. */
const MAX_ERROR_ATTRIBUTE_LENGTH = 1024;

/**
 * The DLQ copy of a poison record: the original body (an SNS notification stays wrapped, so a
 * redrive re-delivers exactly what arrived), the original attributes, and `fanout.error` /
 * `fanout.reason`. A FIFO DLQ keeps the record's group id. `dropped`
 * names original attributes that did not fit SQS's limit of 10.
 */
export function deadLetterMessage(record: SQSRecord, error: PoisonMessageError, queueUrl: string): { input: SendMessageCommandInput; dropped: string[] } {
  const original = record.messageAttributes ?? {};
  const { keep, drop } = attributesThatFit(Object.keys(original), [ATTRIBUTE_ERROR, ATTRIBUTE_REASON]);
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const name of keep) {
    const { dataType, stringValue, binaryValue } = original[name];
    attributes[name] = binaryValue === undefined
      ? { DataType: dataType, StringValue: stringValue }
      : { DataType: dataType, BinaryValue: Buffer.from(binaryValue, 'base64') };
  }
  // Cutting may split a surrogate pair, and a message may quote a malformed body: SQS takes only valid Unicode.
  attributes[ATTRIBUTE_ERROR] = { DataType: 'String', StringValue: toWellFormed(error.message.slice(0, MAX_ERROR_ATTRIBUTE_LENGTH)) || error.reason };
  attributes[ATTRIBUTE_REASON] = { DataType: 'String', StringValue: error.reason };
  // Deduplicate by the source message's id: two different poison messages that share a producer's
  // deduplication id both reach the DLQ, while sending the same message twice keeps one copy.
  const fifo = queueUrl.endsWith('.fifo')
    ? { MessageGroupId: record.attributes.MessageGroupId, MessageDeduplicationId: record.messageId }
    : {};
  return {
    input: { QueueUrl: queueUrl, MessageBody: record.body, MessageAttributes: attributes, ...fifo },
    dropped: drop,
  };
}

/** Sends poison records to the consumer's dead-letter queue. */
export class DeadLetterQueue {
  constructor(private readonly client: () => SQSClient, readonly queueUrl: string) {}

  /** Resolves once SQS has the copy (the caller may then report the record a success); returns the attributes that did not fit. */
  async send(record: SQSRecord, error: PoisonMessageError): Promise<string[]> {
    const { input, dropped } = deadLetterMessage(record, error, this.queueUrl);
    await this.client().send(new SendMessageCommand(input));
    return dropped;
  }
}
