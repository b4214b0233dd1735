/*
 * The consumers the per-source tests (Kinesis, Kafka, RabbitMQ events) share: handlers of
 * `order.step` envelopes whose data says how each step ends.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createConsumer, PoisonMessageError, type CreateConsumerOptions, type IdempotencyOptions } from '@cdk-fanout/runtime';
import { captureLogs } from '@cdk-fanout/testing';

export const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/orders-billing-dlq';

/** How a step ends: processed, a retryable failure, or poison. */
export type Fate = 'ok' | 'fail' | 'poison';

/**
 * A stand-in for the DLQ's SQS client that records what is sent: these unit tests run without
 * an emulator (the integration tests send poison to fauxqs).
 */
function recordingSqs() {
  const sent: { QueueUrl?: string; MessageBody?: string; MessageAttributes?: Record<string, { StringValue?: string }> }[] = [];
  const client = { send: async (command: { input: (typeof sent)[number] }) => { sent.push(command.input); return {}; } } as unknown as SQSClient;
  return { sent, client };
}

/** A consumer without idempotency whose steps end as their `fate` says, after `handle` saw them. */
export function fateConsumer(consumerName: string, handle: (data: { name: string; fate: Fate }) => unknown, options: Omit<CreateConsumerOptions, 'handlers'> = {}) {
  const dlq = recordingSqs();
  const logs = captureLogs();
  const handler = createConsumer({
    consumerName,
    idempotency: false,
    deadLetterQueueUrl: DLQ_URL,
    sqsClient: dlq.client,
    logger: logs.logger,
    handlers: {
      'order.step': {
        handle: async (data) => {
          const step = data as { name: string; fate: Fate };
          await handle(step);
          if (step.fate === 'fail') throw new Error(`${step.name} failed`);
          if (step.fate === 'poison') throw new PoisonMessageError('non-retryable', `${step.name} is poison`);
        },
      },
    },
    ...options,
  });
  return { handler, dlq, logs };
}

/** An idempotent consumer that records each step it applied, and fails the steps named in `failing`. */
export function recordingConsumer(consumerName: string, idempotency: IdempotencyOptions & { readonly tableName: string; readonly client: DynamoDBClient }, failing: ReadonlySet<string>) {
  const effects: string[] = [];
  const logs = captureLogs();
  const handler = createConsumer({
    consumerName,
    idempotency,
    logger: logs.logger,
    handlers: {
      'order.step': {
        handle: (data) => {
          const { name } = data as { name: string };
          if (failing.has(name)) throw new Error(`${name} failed`);
          effects.push(name);
        },
      },
    },
  });
  return { handler, effects, logs };
}
