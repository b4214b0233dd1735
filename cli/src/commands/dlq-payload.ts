/*
 * `fanout dlq inspect` on a claim check: the object's size (HeadObject) and, with `--payloads`, the
 * body it stands for, with the envelope fields read from it. A missing or unreadable object is
 * shown as such; nothing here throws, and no object is ever deleted.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { payloadReadFailure, s3ErrorText } from '@cdk-fanout/runtime/envelope';
import { mapLimited } from '@cdk-fanout/runtime/redrive';
import { envelopeFields, type DlqPayload, type DlqRow } from './dlq-row';

/** Objects read at once: `--max` has no upper bound, and each body may be up to 2 MiB. */
export const PAYLOAD_READS_IN_FLIGHT = 8;

/** Each claim-check row with what S3 says about its object, at most PAYLOAD_READS_IN_FLIGHT reads at a time; other rows as they are. */
export async function withPayloads(s3: S3Client, rows: readonly DlqRow[], withBody: boolean): Promise<DlqRow[]> {
  return mapLimited(rows, PAYLOAD_READS_IN_FLIGHT, async (row) => (row.payload ? withPayload(row, await readPayload(s3, row.payload, withBody)) : row));
}

/** What S3 says about a pointer's object: its size, and its body when `withBody`. */
export async function readPayload(s3: S3Client, payload: DlqPayload, withBody: boolean): Promise<DlqPayload> {
  const where = { Bucket: payload.bucket, Key: payload.key };
  try {
    if (withBody) {
      const object = await s3.send(new GetObjectCommand(where));
      const body = (await object.Body?.transformToString('utf-8')) ?? '';
      return { ...payload, size: object.ContentLength ?? Buffer.byteLength(body), body };
    }
    const head = await s3.send(new HeadObjectCommand(where));
    return { ...payload, ...(head.ContentLength === undefined ? {} : { size: head.ContentLength }) };
  } catch (error) {
    // Judged as the consumer judges it, so `missing` here is what the consumer dead-lettered as payload-missing.
    if (payloadReadFailure(error) === 'payload-missing') return { ...payload, missing: true };
    return { ...payload, readError: s3ErrorText(error) };
  }
}

/** The row with what S3 said; with the body read, its envelope's id, type and source (or why it is not one). */
export function withPayload(row: DlqRow, payload: DlqPayload): DlqRow {
  if (payload.body === undefined) return { ...row, payload };
  const { id, type, source, problem } = envelopeFields(payload.body);
  return { ...row, id, type, source, ...(problem === undefined ? {} : { problem }), payload };
}

/** The SIZE cell: bytes, `missing`, or `unreadable`. */
export function payloadState(payload: DlqPayload): string {
  if (payload.missing) return 'missing';
  if (payload.readError !== undefined) return `unreadable (${payload.readError})`;
  return payload.size === undefined ? '-' : String(payload.size);
}
