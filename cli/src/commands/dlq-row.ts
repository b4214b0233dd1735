import type { Message } from '@aws-sdk/client-sqs';
import { ATTRIBUTE_ERROR, ATTRIBUTE_REASON } from '@cdk-fanout/runtime/names';
import { parseEnvelope, readPointer, unwrapRecord } from '@cdk-fanout/runtime/envelope';
import { parseOnFailureRecord, type OnFailureRecord } from './on-failure-record';

/** What `fanout dlq inspect` shows of one dead-lettered message (also its `--json` shape). */
export interface DlqRow {
  /** SQS's message id in the dead-letter queue. */
  readonly messageId: string;
  /** Envelope fields; for a body that is not a valid envelope, whichever of them it has. */
  readonly id?: string;
  readonly type?: string;
  readonly source?: string;
  /** `fanout.reason` / `fanout.error`: set when the consumer rejected it as poison; absent when SQS moved it after maxReceiveCount. */
  readonly reason?: string;
  readonly error?: string;
  /** Why the body is not a valid envelope; absent when it is one, or an on-failure record. */
  readonly problem?: string;
  /** Lambda's on-failure record (a stream or Kafka consumer's batch metadata), instead of an envelope. */
  readonly onFailure?: OnFailureRecord;
  /** A claim check: where the body is in S3, and what `fanout dlq inspect` found there. */
  readonly payload?: DlqPayload;
  /** Receives before this inspection (its own receive is not counted). */
  readonly receiveCount: number;
  /** When the message was sent to the queue it is in, ISO 8601. */
  readonly sentAt?: string;
  readonly ageSeconds?: number;
  /** The message body as stored (an SNS notification stays wrapped). */
  readonly body: string;
}

/** A claim check's object as `fanout dlq inspect` shows it. */
export interface DlqPayload {
  readonly bucket: string;
  readonly key: string;
  /** The object's size in bytes (HeadObject); absent when it could not be read. */
  readonly size?: number;
  /** The object does not exist (expired by the bucket's lifecycle rule, or deleted). */
  readonly missing?: boolean;
  /** Why the object could not be read, when it exists or may exist (access denied, throttled, …). */
  readonly readError?: string;
  /** The body the pointer stands for (with `--payloads`). */
  readonly body?: string;
}

/** Reads a received DLQ message into a row; never throws, whatever the body. */
export function dlqRow(message: Message, now: number): DlqRow {
  const body = message.Body ?? '';
  const sent = Number(message.Attributes?.SentTimestamp);
  const attributes = message.MessageAttributes ?? {};
  const onFailure = parseOnFailureRecord(body);
  return {
    messageId: message.MessageId ?? '',
    ...(onFailure ? { onFailure } : envelopeFields(body)),
    reason: attributes[ATTRIBUTE_REASON]?.StringValue,
    error: attributes[ATTRIBUTE_ERROR]?.StringValue,
    receiveCount: Math.max(0, Number(message.Attributes?.ApproximateReceiveCount ?? 1) - 1),
    ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString(), ageSeconds: Math.max(0, Math.floor((now - sent) / 1000)) } : {}),
    body,
  };
}

/**
 * The envelope's id/type/source via the runtime's own unwrapping and validation, so what it
 * rejected is shown as such; for a claim check, where its body is (read by `fanout dlq inspect`).
 */
export function envelopeFields(body: string): Pick<DlqRow, 'id' | 'type' | 'source' | 'problem' | 'payload'> {
  let candidate: unknown;
  try {
    // Only the envelope is read here; fanout.reason/fanout.error are the DLQ message's own attributes.
    candidate = unwrapRecord({ body, messageAttributes: {} }).envelope;
    const pointer = readPointer(candidate);
    if (pointer) return { payload: pointer };
    const envelope = parseEnvelope(candidate);
    return { id: envelope.id, type: envelope.type, source: envelope.source };
  } catch (error) {
    return { ...looseFields(candidate), problem: (error as Error).message };
  }
}

/** Whatever string id/type/source an invalid envelope has: enough to recognise the message. */
function looseFields(candidate: unknown): Pick<DlqRow, 'id' | 'type' | 'source'> {
  let value = candidate;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (typeof value !== 'object' || value === null) return {};
  const fields = value as Record<string, unknown>;
  const text = (name: string) => (typeof fields[name] === 'string' ? { [name]: fields[name] as string } : {});
  return { ...text('id'), ...text('type'), ...text('source') };
}
