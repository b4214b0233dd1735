import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import { SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import { optionsFromEnvironment, type BenchHandler, type HandlerOptions } from './handler-options';
import { OrderEnvelope, powertoolsHandler } from './powertools-common';

/**
 * Powertools 2.35 in its best documented configuration: the batch parser with the record schema
 * built once at load (`schema`: `SqsRecordSchema.extend({ body: JSONStringified(envelope) })`,
 * the docs' "extended schema"), which the parser uses as it is. With `innerSchema` instead
 * (powertools-inner-schema.ts) the parser builds that schema again for every record.
 */
const OrderRecord = SqsRecordSchema.extend({ body: JSONStringified(OrderEnvelope) });

export function create(options: HandlerOptions): BenchHandler {
  return powertoolsHandler(new BatchProcessor(EventType.SQS, { parser, schema: OrderRecord }), options);
}

export const handler = create(optionsFromEnvironment());
