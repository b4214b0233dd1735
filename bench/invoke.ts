import type { SQSEvent } from 'aws-lambda';
import { lambdaContext } from './events';
import type { BenchHandler } from './handlers/handler-options';

/**
 * Invokes `handler` with `events` one after another, as one warm Lambda container would, and
 * checks how many records were reported failed: a benchmark whose records fail for an
 * unplanned reason measures the wrong path.
 */
export async function invokeAll(handler: BenchHandler, events: readonly SQSEvent[], expectFailures: 'none' | 'all' = 'none'): Promise<void> {
  let failures = 0;
  let records = 0;
  for (const event of events) {
    records += event.Records.length;
    try {
      const response = await handler(event, lambdaContext());
      failures += response.batchItemFailures.length;
    } catch (error) {
      // Powertools throws when every record failed (FullBatchFailureError): Lambda then retries the whole batch.
      if (expectFailures !== 'all') throw error;
      failures += event.Records.length;
    }
  }
  const expected = expectFailures === 'all' ? records : 0;
  if (failures !== expected) {
    throw new Error(`expected ${expected} of ${records} records to fail, got ${failures}: the benchmark is not measuring the intended path`);
  }
}
