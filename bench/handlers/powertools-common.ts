import { processPartialResponse, type BatchProcessor } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import type { BenchHandler, HandlerOptions } from './handler-options';
import { handleOrder, ORDER_CREATED } from './order';
import { OrderCreated } from './order-zod';

/**
 * The envelope rules cdk-fanout's runtime enforces (docs/ARCHITECTURE.md, "The envelope") in zod 4,
 * around the same data schema: what a Powertools user writes to get the same checks.
 */
export const OrderEnvelope = z.object({
  id: z.string().min(1).max(128),
  type: z.literal(ORDER_CREATED),
  version: z.literal('1'),
  timestamp: z.iso.datetime({ offset: true }),
  source: z.string().min(1),
  correlationId: z.string().optional(),
  data: OrderCreated,
});
export type OrderEnvelope = z.infer<typeof OrderEnvelope>;

/** A record after the batch parser: the body is the parsed envelope. */
interface ParsedRecord {
  readonly body: OrderEnvelope;
}

/**
 * Powertools 2.35 as its docs combine the parts ("Idempotency: batch integration"; "Make any
 * function idempotent"): `processPartialResponse` with the given `BatchProcessor`, and the work
 * on each parsed envelope made idempotent by `makeIdempotent` with `DynamoDBPersistenceLayer`
 * (table key `id`), keyed on the envelope id, payload validation on `[type, version, data]`
 * (cdk-fanout's conflict check: same id, other content), the Lambda context registered so the
 * in-progress lock ends with the invocation. `effect` runs after the handle (the transactional
 * comparison's own write).
 */
export function powertoolsHandler(
  processor: BatchProcessor,
  options: HandlerOptions,
  effect?: (envelope: OrderEnvelope, total: number, client: DynamoDBClient | undefined) => Promise<unknown>,
): BenchHandler {
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'id', payloadValidationJmesPath: '[type, version, data]' });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: options.tableName, ...(options.client ? { awsSdkV3Client: options.client } : {}) });
  const processEnvelope = makeIdempotent(async (envelope: OrderEnvelope) => {
    const total = handleOrder(envelope.data);
    if (effect) await effect(envelope, total, options.client);
  }, { persistenceStore, config });
  const recordHandler = (record: ParsedRecord) => processEnvelope(record.body);
  return async (event, context) => {
    config.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, { context });
  };
}
