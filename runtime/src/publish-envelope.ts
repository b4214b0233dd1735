/*
 * What every publisher (SNS, SQS, Kinesis, Kafka, RabbitMQ) does to a message before sending it:
 * the envelope, the `type`/`version`/`source`/`environment` attributes or headers, the size guard
 * (each service with its own limit and its own way of counting; `claim-check.ts` decides what goes
 * to S3 instead), and FIFO deduplication ids. One piece of code, so the publishers cannot drift apart.
 */
import { createHash } from 'node:crypto';
import { createEnvelope, type Envelope } from './envelope.js';
import { ATTRIBUTE_ENVIRONMENT, ATTRIBUTE_SOURCE, ATTRIBUTE_TYPE, ATTRIBUTE_VERSION } from './names.js';

/** The envelope fields a caller gives per message; `source` is the publisher's. */
export interface EnvelopeFields<T = unknown> {
  readonly type: string;
  readonly data: T;
  /** @default a random UUID */
  readonly id?: string;
  /** @default '1' */
  readonly version?: string;
  readonly correlationId?: string;
}

/** A service's limit for one message, and how its size is counted, for the error message. */
export interface SizeLimit {
  /** The most bytes one message may have. */
  readonly bytes: number;
  /** What the limit is, e.g. `the SNS/SQS limit`. */
  readonly name: string;
  /** What was counted besides the body, e.g. `with its attributes`. */
  readonly counted: string;
}

/** Builds the envelope of one message (createEnvelope's checks, a plain Error naming the field) and its JSON body. */
export function buildEnvelope<T>(source: string, fields: EnvelopeFields<T>): { readonly envelope: Envelope<T>; readonly body: string } {
  const envelope = createEnvelope({ type: fields.type, data: fields.data, source, id: fields.id, version: fields.version, correlationId: fields.correlationId });
  return { envelope, body: JSON.stringify(envelope) };
}

/**
 * The size guard: refuses a message the service would refuse, with one line naming the envelope,
 * its size (`bytes`, counted as the service counts it: body plus attributes, key, headers...), the
 * limit and `advice` (how to send it anyway).
 */
export function checkSize(what: string, envelope: Envelope, bytes: number, limit: SizeLimit, advice: string): void {
  if (bytes > limit.bytes) {
    throw new Error(`${what}: envelope ${envelope.id} (type ${envelope.type}) is ${bytes} bytes ${limit.counted}, over ${limit.name} of ${limit.bytes} bytes${humanBytes(limit.bytes)}; ${advice}`);
  }
}

/**
 * The attributes (SNS, SQS) or headers (Kafka, RabbitMQ) every message carries, which
 * subscriptions and consumers route on: `environment` only when the publisher has one.
 */
export function envelopeAttributes(envelope: Envelope, environment?: string): Array<readonly [name: string, value: string]> {
  const attributes: Array<readonly [string, string]> = [[ATTRIBUTE_TYPE, envelope.type], [ATTRIBUTE_VERSION, envelope.version], [ATTRIBUTE_SOURCE, envelope.source]];
  if (environment !== undefined) attributes.push([ATTRIBUTE_ENVIRONMENT, environment]);
  return attributes;
}

/** A message attribute as SNS and SQS take it: text, or a number written as text. */
export interface StringAttribute {
  readonly DataType: 'String' | 'Number';
  readonly StringValue: string;
}

/** The envelope's attributes as SNS and SQS message attributes. */
export function stringAttributes(envelope: Envelope, environment?: string): Record<string, StringAttribute> {
  return Object.fromEntries(envelopeAttributes(envelope, environment).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]));
}

/** How SNS and SQS measure a message: body plus each attribute's name, data type and value, in UTF-8 bytes. */
export function messageBytes(body: string, attributes: Readonly<Record<string, { readonly DataType?: string; readonly StringValue?: string }>>): number {
  let bytes = utf8Bytes(body);
  for (const [name, value] of Object.entries(attributes)) {
    bytes += utf8Bytes(name) + utf8Bytes(value.DataType ?? '') + utf8Bytes(value.StringValue ?? '');
  }
  return bytes;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** What SNS and SQS accept as `MessageDeduplicationId` and `MessageGroupId`: 1 to 128 letters, digits and ASCII punctuation. */
export const FIFO_ID_PATTERN = /^[\x21-\x7E]{1,128}$/;

/**
 * The FIFO deduplication id of an envelope id: the id itself when SNS and SQS accept it (1 to 128
 * letters, digits and ASCII punctuation), else its SHA-256 in hex (64 characters).
 */
export function deduplicationIdFor(envelopeId: string): string {
  return FIFO_ID_PATTERN.test(envelopeId) ? envelopeId : createHash('sha256').update(envelopeId, 'utf8').digest('hex');
}

/** 262144 → ` (256 KiB)`, 1048576 → ` (1 MiB)`; nothing for other sizes. */
function humanBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return ` (${bytes / (1024 * 1024)} MiB)`;
  if (bytes % 1024 === 0) return ` (${bytes / 1024} KiB)`;
  return '';
}
