import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** What the harness passes to either runtime's handler factory. */
export interface HandlerOptions {
  /** The idempotency table, in the layout the runtime expects. */
  readonly tableName: string;
  /** The DynamoDB client; without one the runtime builds its default client, as in a deployed Lambda. */
  readonly client?: DynamoDBClient;
}

/** A Lambda handler for an SQS event source with partial batch responses: the shape both runtimes produce. */
export type BenchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Where a bundled handler reads its table name when loaded like a Lambda module. */
export const TABLE_NAME_ENV = 'BENCH_IDEMPOTENCY_TABLE';
export const DEFAULT_TABLE_NAME = 'bench-idempotency';
