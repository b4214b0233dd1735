import type { SQSRecord } from 'aws-lambda';
import { PoisonMessageError } from './poison-message-error.js';

/** What the consumer reads from one SQS record, whichever way SNS delivered it. */
export interface UnwrappedRecord {
  /** The envelope as sent by the producer: already parsed for raw bodies, the JSON text for SNS notifications. */
  readonly envelope: unknown;
  /**
   * The message attributes the producer set (`type`, `version`, `source`, …), as strings.
   * Binary values are base64. Under raw delivery they are the SQS message attributes; under a
   * non-raw subscription they come from the SNS notification's `MessageAttributes`.
   */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Reads a record's body, unwrapping an SNS notification (a non-raw subscription). A notification
 * is recognised by `Type: "Notification"` with string `TopicArn`, `MessageId` and `Message`:
 * fields an envelope never has at the top level. Throws `PoisonMessageError('malformed-json')`
 * for a body that is not JSON.
 */
export function unwrapRecord(record: Pick<SQSRecord, 'body' | 'messageAttributes'>): UnwrappedRecord {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (err) {
    throw new PoisonMessageError('malformed-json', `body is not JSON: ${(err as Error).message}`);
  }
  if (isSnsNotification(body)) {
    return { envelope: body.Message, attributes: snsAttributes(body.MessageAttributes) };
  }
  return { envelope: body, attributes: sqsAttributes(record.messageAttributes) };
}

interface SnsNotification {
  readonly Type: 'Notification';
  readonly TopicArn: string;
  readonly MessageId: string;
  readonly Message: string;
  readonly MessageAttributes?: unknown;
}

function isSnsNotification(body: unknown): body is SnsNotification {
  if (typeof body !== 'object' || body === null) return false;
  const candidate = body as Record<string, unknown>;
  return candidate.Type === 'Notification'
    && typeof candidate.TopicArn === 'string'
    && typeof candidate.MessageId === 'string'
    && typeof candidate.Message === 'string';
}

function snsAttributes(attributes: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof attributes !== 'object' || attributes === null) return result;
  for (const [name, attribute] of Object.entries(attributes as Record<string, { Value?: unknown }>)) {
    if (typeof attribute?.Value === 'string') result[name] = attribute.Value;
  }
  return result;
}

function sqsAttributes(attributes: SQSRecord['messageAttributes'] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(attributes ?? {})) {
    const value = attribute.stringValue ?? attribute.binaryValue;
    if (value !== undefined) result[name] = value;
  }
  return result;
}
