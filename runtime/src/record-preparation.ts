/*
 * The first step of every record: from the transport's record to an envelope ready for its
 * handler (read, parsed, routed, its data validated, its payload hashed), a type to skip, or why
 * it is poison. No idempotency and no side effects here.
 */
import type { SQSRecord } from 'aws-lambda';
import type { TypeHandler } from './consumer-options.js';
import { decideRoute } from './decide.js';
import { parseEnvelope, type Envelope } from './envelope.js';
import { readInbound, type InboundOptions } from './inbound-record.js';
import { payloadHash } from './payload-hash.js';
import { validateData } from './schema.js';

/** A record ready for its handler. */
export interface Prepared {
  readonly envelope: Envelope;
  readonly attributes: Readonly<Record<string, string>>;
  readonly handler: TypeHandler;
  readonly data: unknown;
  readonly hash: string;
}

/** What reading a record gave: ready for its handler, a type to skip, or why it is poison. */
export type Preparation = Prepared | { readonly skip: Envelope } | { readonly error: unknown };

/** How records are read (environment, claim checks) and envelopes find their handlers. */
export interface Routing extends InboundOptions {
  readonly handlers: Readonly<Record<string, TypeHandler>>;
  readonly unknownType: 'poison' | 'skip';
  /** Accepted versions when a handler does not list its own. */
  readonly defaultVersions: readonly string[];
}

/** Reads, parses, routes and validates one record; never throws: a failure is returned as `{ error }` for the dispositions to judge. */
export async function prepareRecord(record: SQSRecord, routing: Routing): Promise<Preparation> {
  try {
    const { envelope: body, attributes } = await readInbound(record, routing);
    const envelope = parseEnvelope(body);
    const route = decideRoute(routing.handlers, envelope, routing.unknownType, routing.defaultVersions);
    if (route.action === 'skip') return { skip: envelope };
    if (route.action === 'poison') throw route.error;
    const handler = route.route;
    const data = handler.schema ? await validateData(handler.schema, envelope) : envelope.data;
    return { envelope, attributes, handler, data, hash: payloadHash(envelope) };
  } catch (error) {
    return { error };
  }
}
