import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadBundle } from './bundle';
import type { BenchHandler } from './handlers/handler-options';
import { LEDGER_TABLE, tableName, type RuntimeSubject } from './subjects';

export interface RunningSubject {
  readonly subject: RuntimeSubject;
  readonly handler: BenchHandler;
  readonly client: DynamoDBClient;
}

/**
 * A handler per subject, created from its bundle (the published build, as deployed) with its own
 * client from `clientFor` (the same options for every subject: see dynamodb-client.ts).
 */
export function runningSubjects(subjects: readonly RuntimeSubject[], clientFor: (subject: RuntimeSubject) => DynamoDBClient): RunningSubject[] {
  return subjects.map((subject) => {
    const client = clientFor(subject);
    const handler = loadBundle(subject.bundle).create({
      tableName: tableName(subject),
      client,
      ledgerTableName: LEDGER_TABLE,
      ...(subject.idempotency ? { idempotency: subject.idempotency } : {}),
      ...(subject.handlerOptions ? { handlerOptions: subject.handlerOptions } : {}),
    });
    return { subject, handler, client };
  });
}
