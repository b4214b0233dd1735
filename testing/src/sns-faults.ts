/*
 * Fault injection for SNS publishing, as SDK middleware on a real SNSClient talking to fauxqs.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import { uniqueName } from './aws';

type Stack = SNSClient['middlewareStack'];

/**
 * Loses responses: the request reaches fauxqs (which publishes what it says), then the client
 * sees a connection reset instead of the response, as if the connection dropped on the way back.
 * The SDK classifies it as transient (retryable). It sits just before the network, inside the
 * SDK's retry middleware, so every attempt can lose its response. `lose` decides per request of
 * `command` (e.g. a seeded random draw). Returns counts of the requests seen and the responses lost.
 */
export function loseSnsResponses(client: { middlewareStack: unknown }, command: string, lose: () => boolean): { requests: number; lost: number } {
  const counts = { requests: 0, lost: 0 };
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== command) return result;
      counts.requests++;
      if (!lose()) return result;
      counts.lost++;
      throw Object.assign(new Error(`socket hang up (injected: the response to ${command} was lost after the request reached fauxqs)`), { code: 'ECONNRESET' });
    },
    // Low priority in the deserialize step: next is the network, before the SDK parses anything.
    { step: 'deserialize', priority: 'low', name: uniqueName('loseSnsResponses') },
  );
  return counts;
}

/** A PublishBatch entry as the SDK holds it before serializing. */
export interface BatchEntryRequest {
  readonly Id: string;
  readonly Message?: string;
  readonly MessageGroupId?: string;
}

/**
 * SNS fails chosen PublishBatch entries on its side: `choose` gets each call's entries and
 * returns the Ids to fail; they are taken out of the request before it reaches fauxqs (so they
 * are not published) and listed under `Failed` with `error`. The other entries go through.
 * Returns the calls seen, each as its entries' Ids.
 */
export function failBatchEntries(
  client: { middlewareStack: unknown },
  choose: (entries: readonly BatchEntryRequest[]) => Iterable<string>,
  error: { Code: string; Message?: string; SenderFault: boolean } = { Code: 'InternalError', Message: 'injected', SenderFault: false },
): string[][] {
  const calls: string[][] = [];
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PublishBatchCommand') return next(args);
      const input = args.input as { PublishBatchRequestEntries: BatchEntryRequest[] };
      const entries = input.PublishBatchRequestEntries;
      calls.push(entries.map((entry) => entry.Id));
      const failed = new Set(choose(entries));
      if (failed.size === 0) return next(args);
      const kept = entries.filter((entry) => !failed.has(entry.Id));
      const result = kept.length > 0
        ? await next({ ...args, input: { ...input, PublishBatchRequestEntries: kept } })
        : { output: { $metadata: {}, Successful: [] }, response: {} };
      const output = result.output as { Failed?: unknown[] };
      output.Failed = [...(output.Failed ?? []), ...entries.filter((entry) => failed.has(entry.Id)).map((entry) => ({ Id: entry.Id, ...error }))];
      return result;
    },
    { step: 'initialize', name: uniqueName('failBatchEntries') },
  );
  return calls;
}
