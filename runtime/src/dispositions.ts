/*
 * How a record that will not be processed ends: a duplicate, a retry, or poison sent to the
 * dead-letter queue with its reason. Every path logs why.
 */
import type { SQSRecord } from 'aws-lambda';
import { failed, type RecordScope } from './batch-state.js';
import type { ExistingRecordOutcome } from './decide.js';
import type { Envelope } from './envelope.js';
import { ENV_DEAD_LETTER_TOPIC } from './names.js';
import type { Outcome } from './outcome.js';
import type { PoisonMarks } from './poison-marks.js';
import { PoisonMessageError } from './poison-message-error.js';

/** Where poison goes: the consumer's dead-letter queue. Resolves with the attributes that did not fit. */
export interface DeadLetterSender {
  send(record: SQSRecord, error: PoisonMessageError): Promise<string[]>;
}

export class Dispositions {
  constructor(
    private readonly deadLetters: DeadLetterSender | undefined,
    private readonly poisonMarks: PoisonMarks | undefined,
  ) {}

  /** A record whose idempotency record exists: what that record says it is. */
  existing(scope: RecordScope, envelope: Envelope, decision: ExistingRecordOutcome): Promise<Outcome> | Outcome {
    switch (decision) {
      case 'duplicate':
        scope.log.info('already processed: duplicate');
        return { kind: 'duplicate' };
      case 'conflict':
        return this.poison(scope, conflict(envelope));
      case 'in-progress':
        scope.log.warn('in progress in another invocation: will be retried', { cause: 'in-progress-elsewhere' });
        return failed('in-progress-elsewhere');
    }
  }

  /** A record whose reading or handler threw: poison when the error says so, else retried. */
  failure(scope: RecordScope, error: unknown): Promise<Outcome> | Outcome {
    if (error instanceof PoisonMessageError) {
      return this.poison(scope, error);
    }
    scope.log.error('handler failed: will be retried', { cause: 'handler-error', error });
    return failed('handler-error');
  }

  async poison(scope: RecordScope, error: PoisonMessageError): Promise<Outcome> {
    const { log } = scope;
    const fields = { reason: error.reason, error: error.message };
    if (!this.deadLetters) {
      // Reported failed: SQS moves it after maxReceiveCount; a stream's or Kafka mapping's retries end at its on-failure destination (a Kafka consumer's may be its dead-letter topic).
      const deadLetterTopic = nonEmptyEnv(ENV_DEAD_LETTER_TOPIC);
      log.error('poison message; no dead-letter queue URL: reported failed, so the event source\'s retries move it to its dead-letter destination', { ...fields, cause: 'poison-without-dead-letter-queue', ...(deadLetterTopic && { deadLetterTopic }) });
      return failed('poison-without-dead-letter-queue');
    }
    try {
      if (await this.poisonMarks?.sentBefore(scope.record, log)) {
        log.info('poison message sent to the dead-letter queue by an earlier delivery: not sent again', fields);
        return { kind: 'duplicate' };
      }
      const dropped = await this.deadLetters.send(scope.record, error);
      await this.poisonMarks?.remember(scope.record, log);
      log.error('poison message sent to the dead-letter queue', dropped.length > 0 ? { ...fields, droppedAttributes: dropped } : fields);
      return { kind: 'poisoned', reason: error.reason };
    } catch (sendError) {
      log.error('poison message could not be sent to the dead-letter queue: will be retried', { ...fields, cause: 'dead-letter-send-failed', sendError });
      return failed('dead-letter-send-failed');
    }
  }
}

function nonEmptyEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function conflict(envelope: Envelope): PoisonMessageError {
  return new PoisonMessageError('idempotency-conflict', `envelope id ${JSON.stringify(envelope.id)} was recorded before with a different payload: ids must never be reused for other content`);
}
