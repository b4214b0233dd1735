/*
 * What the consumer reads from a record before it validates anything: the body unwrapped (raw or
 * SNS-wrapped), the environment checked, and a claim check replaced by the body it points at.
 * Handlers, idempotency (the payload hash is of the resolved envelope) and the poison reasons of
 * the envelope never see a pointer.
 */
import type { SQSRecord } from 'aws-lambda';
import { wrongEnvironment } from './environment.js';
import { ATTRIBUTE_ENVIRONMENT } from './names.js';
import { readPointer } from './payload-pointer.js';
import type { PayloadStore } from './payload-store.js';
import { unwrapRecord, type UnwrappedRecord } from './record.js';

export interface InboundOptions {
  /** The consumer's environment: a message stamped with another is poison `wrong-environment`. */
  readonly environment: string | undefined;
  /** Where claim-checked bodies are read. */
  readonly payloads: PayloadStore;
}

/**
 * The record's envelope (parsed, or JSON text) and attributes. Throws poison for a body that is not
 * JSON, a message of another environment, a claim check that is malformed, gone or refused; an
 * ordinary error (retried) when reading the claim check failed for a reason a retry may fix. The
 * environment is checked first: a message of another environment costs no S3 read.
 */
export async function readInbound(record: Pick<SQSRecord, 'body' | 'messageAttributes'>, options: InboundOptions): Promise<UnwrappedRecord> {
  const { envelope, attributes } = unwrapRecord(record);
  const poison = wrongEnvironment(options.environment, attributes[ATTRIBUTE_ENVIRONMENT]);
  if (poison) throw poison;
  const pointer = readPointer(envelope);
  return pointer ? { envelope: await options.payloads.get(pointer), attributes } : { envelope, attributes };
}
