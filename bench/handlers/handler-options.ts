import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** What the harness passes to a handler module's `create`. */
export interface HandlerOptions {
  /** The idempotency table, in the layout the runtime expects. */
  readonly tableName: string;
  /** The DynamoDB client; without one the runtime builds its default client, as in a deployed Lambda. */
  readonly client?: DynamoDBClient;
  /** cdk-fanout only: idempotency options besides table and client (the per-record mode's option). */
  readonly idempotency?: Readonly<Record<string, unknown>>;
  /** cdk-fanout only: options of the order type's handler (the claim-free transactional option). */
  readonly handlerOptions?: Readonly<Record<string, unknown>>;
  /** Transactional handlers: the table their effect writes to. */
  readonly ledgerTableName?: string;
}

/** A Lambda handler for an SQS event source with partial batch responses: the shape every runtime produces. */
export type BenchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * What every handler module exports: `handler`, the Lambda entry point as a user deploys it (built
 * at load from the environment, with the runtime's default client), and `create`, which the
 * harness calls on the same bundle with its own client and table.
 */
export interface HandlerModule {
  readonly handler: BenchHandler;
  create(options: HandlerOptions): BenchHandler;
}

/** Where a bundled handler reads its tables when loaded like a Lambda module. */
export const TABLE_NAME_ENV = 'BENCH_IDEMPOTENCY_TABLE';
export const LEDGER_TABLE_ENV = 'BENCH_LEDGER_TABLE';
export const DEFAULT_TABLE_NAME = 'bench-idempotency';
export const DEFAULT_LEDGER_TABLE = 'bench-ledger';

export function optionsFromEnvironment(): HandlerOptions {
  return {
    tableName: process.env[TABLE_NAME_ENV] ?? DEFAULT_TABLE_NAME,
    ledgerTableName: process.env[LEDGER_TABLE_ENV] ?? DEFAULT_LEDGER_TABLE,
  };
}
