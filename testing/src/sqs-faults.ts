/*
 * Fault injection for SQS sending, as SDK middleware on a real SQSClient talking to fauxqs.
 * (Lost responses: `loseSnsResponses` works on any client and command, e.g. `SendMessageBatchCommand`.)
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { uniqueName } from './aws';

/** A SendMessageBatch entry as the SDK holds it before serializing. */
export interface SqsBatchEntryRequest {
  readonly Id: string;
  readonly MessageBody: string;
  readonly MessageGroupId?: string;
}

/**
 * SQS fails chosen SendMessageBatch entries on its side: `choose` gets each call's entries and
 * returns the Ids to fail; they are taken out of the request before it reaches fauxqs (so they are
 * not sent) and listed under `Failed` with `error`. The other entries go through. Returns the
 * calls seen, each as its entries' Ids.
 */
export function failSqsBatchEntries(
  client: { middlewareStack: unknown },
  choose: (entries: readonly SqsBatchEntryRequest[]) => Iterable<string>,
  error: { Code: string; Message?: string; SenderFault: boolean } = { Code: 'InternalError', Message: 'injected', SenderFault: false },
): string[][] {
  const calls: string[][] = [];
  (client.middlewareStack as SQSClient['middlewareStack']).add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand') return next(args);
      const input = args.input as { QueueUrl: string; Entries: SqsBatchEntryRequest[] };
      const entries = input.Entries;
      calls.push(entries.map((entry) => entry.Id));
      const failed = new Set(choose(entries));
      if (failed.size === 0) return next(args);
      const kept = entries.filter((entry) => !failed.has(entry.Id));
      const result = kept.length > 0
        ? await next({ ...args, input: { ...input, Entries: kept } })
        : { output: { $metadata: {}, Successful: [] }, response: {} };
      const output = result.output as { Failed?: unknown[] };
      output.Failed = [...(output.Failed ?? []), ...entries.filter((entry) => failed.has(entry.Id)).map((entry) => ({ Id: entry.Id, ...error }))];
      return result;
    },
    { step: 'initialize', name: uniqueName('failSqsBatchEntries') },
  );
  return calls;
}
