import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import { optionsFromEnvironment, type BenchHandler, type HandlerOptions } from './handler-options';
import { OrderEnvelope, powertoolsHandler } from './powertools-common';

/**
 * Powertools 2.35 with the batch parser as its docs show it ("Parser integration"):
 * `innerSchema` and `transformer: 'json'`. The parser extends the SQS record schema with the
 * inner schema for every record it parses.
 */
export function create(options: HandlerOptions): BenchHandler {
  return powertoolsHandler(new BatchProcessor(EventType.SQS, { parser, innerSchema: OrderEnvelope, transformer: 'json' }), options);
}

export const handler = create(optionsFromEnvironment());
