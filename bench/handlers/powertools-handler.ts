import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { z } from 'zod';
import { DEFAULT_TABLE_NAME, TABLE_NAME_ENV, type BenchHandler, type HandlerOptions } from './handler-options';
import { handleOrder, ORDER_CREATED, OrderCreated } from './order';

/**
 * The same envelope rules cdk-fanout's runtime enforces (docs/ARCHITECTURE.md, "The envelope"), in zod 4,
 * with the same data schema: what a Powertools user writes to get the same checks.
 */
const OrderEnvelope = z.object({
  id: z.string().min(1).max(128),
  type: z.literal(ORDER_CREATED),
  version: z.literal('1'),
  timestamp: z.iso.datetime({ offset: true }),
  source: z.string().min(1),
  correlationId: z.string().optional(),
  data: OrderCreated,
});

/** A record after the batch parser: the body is the parsed envelope. */
interface ParsedRecord {
  readonly body: z.infer<typeof OrderEnvelope>;
}

/**
 * The benchmark consumer on Powertools 2.35, as its docs combine the parts: `BatchProcessor` with
 * the batch parser (body JSON-decoded, then the envelope schema), `makeIdempotent` around the
 * record handler with `DynamoDBPersistenceLayer`, keyed on the envelope id. Payload validation
 * on type, version and data matches cdk-fanout's conflict check (same id, other content).
 */
export function createPowertoolsHandler(options: HandlerOptions): BenchHandler {
  const processor = new BatchProcessor(EventType.SQS, { parser, innerSchema: OrderEnvelope, transformer: 'json' });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'body.id', payloadValidationJmesPath: 'body.[type, version, data]' });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: options.tableName, ...(options.client ? { awsSdkV3Client: options.client } : {}) });
  const processRecord = makeIdempotent(async (record: ParsedRecord) => handleOrder(record.body.data), { persistenceStore, config });
  return async (event, context) => {
    // Lets the in-progress lock end with the invocation, like cdk-fanout's lock does.
    config.registerLambdaContext(context);
    return processPartialResponse(event, processRecord, processor, { context });
  };
}

/** The Lambda entry point, as a user would deploy it: the bundle-size and cold-import figures load this. */
export const handler = createPowertoolsHandler({ tableName: process.env[TABLE_NAME_ENV] ?? DEFAULT_TABLE_NAME });
