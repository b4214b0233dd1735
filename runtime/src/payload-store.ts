/*
 * Where claim-checked bodies live: S3, behind a small interface so the publishers and the consumer
 * never touch the SDK themselves. The client and `@aws-sdk/client-s3` are loaded on first use.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { defaultClientConfig } from './client-config.js';
import type { PayloadPointer } from './payload-pointer.js';
import { PoisonMessageError } from './poison-message-error.js';
import { payloadReadFailure, s3ErrorText } from './payload-read-failure.js';
import { loadS3Module } from './s3-module.js';

/** Writes and reads claim-checked bodies. */
export interface PayloadStore {
  /** Stores `body` (UTF-8 JSON) at the pointer; rejects with the S3 error (after the client's retries). */
  put(pointer: PayloadPointer, body: string): Promise<void>;
  /**
   * The body at the pointer. Rejects with poison `payload-missing` or `payload-unreadable` when no
   * retry can read it, with an ordinary error (retried) otherwise.
   */
  get(pointer: PayloadPointer): Promise<string>;
}

/** The S3 store: `client` when given, else one made on first use with the runtime's timeouts. */
export class S3PayloadStore implements PayloadStore {
  private loaded?: Promise<{ readonly module: typeof import('@aws-sdk/client-s3'); readonly client: S3Client }>;

  constructor(private readonly client?: S3Client) {}

  async put(pointer: PayloadPointer, body: string): Promise<void> {
    const { module, client } = await this.load();
    await client.send(new module.PutObjectCommand({ Bucket: pointer.bucket, Key: pointer.key, Body: body, ContentType: 'application/json; charset=utf-8' }));
  }

  async get(pointer: PayloadPointer): Promise<string> {
    const { module, client } = await this.load();
    try {
      const object = await client.send(new module.GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }));
      if (!object.Body) throw Object.assign(new Error('S3 returned no body'), { name: 'EmptyBody' });
      return await object.Body.transformToString('utf-8');
    } catch (error) {
      throw payloadReadError(pointer, error);
    }
  }

  private load() {
    this.loaded ??= loadS3Module().then((module) => ({ module, client: this.client ?? new module.S3Client(defaultClientConfig()) }));
    // A failed load (the package is not installed) is tried again next time, with its error each time.
    this.loaded.catch(() => (this.loaded = undefined));
    return this.loaded;
  }
}

/**
 * What a failed read of a claim check means: poison when the object is gone or S3 refuses it
 * (`payloadReadFailure`), else the error to retry, with the pointer in its message.
 */
export function payloadReadError(pointer: PayloadPointer, error: unknown): Error {
  const reason = payloadReadFailure(error);
  const where = `s3://${pointer.bucket}/${pointer.key}`;
  const detail = s3ErrorText(error);
  if (reason === 'payload-missing') return new PoisonMessageError(reason, `the claim-checked body at ${where} does not exist (${detail}): it expired or was deleted before the message was read`, { cause: error });
  if (reason === 'payload-unreadable') return new PoisonMessageError(reason, `the claim-checked body at ${where} cannot be read (${detail}): grant this consumer s3:GetObject on the payload bucket`, { cause: error });
  return new Error(`reading the claim-checked body at ${where} failed (${detail}); will be retried`, { cause: error });
}
