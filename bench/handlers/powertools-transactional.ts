import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import { SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { optionsFromEnvironment, type BenchHandler, type HandlerOptions } from './handler-options';
import { ledgerPut } from './order';
import { OrderEnvelope, powertoolsHandler } from './powertools-common';

/**
 * The transactional comparison on Powertools (best configuration): Powertools has no way to commit
 * an effect with the idempotency record, so the handler writes its ledger item itself, between
 * Powertools' claim and completion.
 */
const OrderRecord = SqsRecordSchema.extend({ body: JSONStringified(OrderEnvelope) });

export function create(options: HandlerOptions): BenchHandler {
  let defaultClient: DynamoDBClient | undefined;
  return powertoolsHandler(new BatchProcessor(EventType.SQS, { parser, schema: OrderRecord }), options, (envelope, total, client) => {
    const { Put } = ledgerPut(options.ledgerTableName!, envelope.data, total);
    return (client ?? (defaultClient ??= new DynamoDBClient({}))).send(new PutItemCommand(Put!));
  });
}

export const handler = create(optionsFromEnvironment());
