import type { SQSMessageAttributes } from 'aws-lambda';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * RabbitMQ headers as the message attributes a handler reads, by one rule for both ways a message
 * arrives (`consumeRabbitMq`'s amqplib message and Lambda's Amazon MQ event), so a handler sees the
 * same `ctx.attributes` for the same message:
 *
 * - strings as `String`; numbers (and big integers) and booleans as `String` holding their text (`2`, `true`);
 * - bytes (an amqplib `Buffer`; `{ bytes: number[] }` in Lambda's event, where every string header
 *   arrives as bytes, so text and bytes cannot be told apart there) as `String` holding their UTF-8
 *   text when they are valid UTF-8, else as `Binary` (base64, which `ctx.attributes` then holds);
 * - the broker's own `x-…` headers and other values (tables, arrays, timestamps) left out: they
 *   stay on the original message (`amqpMessageOf`, `rabbitMqMessageOf`).
 */
export function rabbitMqHeaderAttributes(headers: Readonly<Record<string, unknown>> | null | undefined): SQSMessageAttributes {
  const attributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.startsWith('x-')) continue;
    const empty = { stringListValues: [], binaryListValues: [] };
    const text = headerText(value);
    if (text !== undefined) {
      attributes[name] = { ...empty, dataType: 'String', stringValue: text };
      continue;
    }
    const bytes = headerBytes(value);
    if (bytes !== undefined) attributes[name] = { ...empty, dataType: 'Binary', binaryValue: bytes.toString('base64') };
  }
  return attributes;
}

/** The header as text, undefined when it has none (bytes that are not UTF-8, tables, arrays). */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  const bytes = headerBytes(value);
  if (bytes === undefined) return undefined;
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

function headerBytes(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  const bytes = (value as { bytes?: unknown } | null)?.bytes;
  if (Array.isArray(bytes) && bytes.every((byte) => typeof byte === 'number')) return Buffer.from(bytes as number[]);
  return undefined;
}
