import { benchDynamoDbClient } from './dynamodb-client';
import { DynamoDbStandIn } from './dynamodb-stand-in';
import { orderBatches } from './events';
import { invokeAll } from './invoke';
import { runningSubjects } from './running-subjects';
import { LAMBDA_BATCH_SIZE, ROUND_TRIP_MS, type BenchSettings } from './settings';
import { rotation, sampled, type Sampled } from './stats';
import { benchTables, SUBJECTS } from './subjects';

/** Per invocation with a batch of 100 fresh records, by subject: wall milliseconds (the billed time) and the CPU milliseconds within it. */
export interface LambdaTimeResults {
  readonly wallMs: Record<string, Sampled>;
  readonly cpuMs: Record<string, Sampled>;
}

/**
 * What a Lambda invocation costs in billed time: wall milliseconds per batch of 100 fresh records
 * against the stand-in holding every answer back by a 5 ms round trip (an in-region DynamoDB
 * request), each runtime at its default concurrency (cdk-fanout: 10 records at once;
 * Powertools' BatchProcessor: every record at once). Rounds as for CPU: every subject once per
 * round, rotating, from a collected heap.
 */
export async function measureLambdaTime(settings: BenchSettings): Promise<LambdaTimeResults> {
  const standIn = new DynamoDbStandIn(benchTables(), { roundTripMs: ROUND_TRIP_MS });
  const subjects = runningSubjects(SUBJECTS, () => {
    const client = benchDynamoDbClient();
    standIn.attach(client);
    return client;
  });
  for (const { handler } of subjects) {
    await invokeAll(handler, orderBatches(LAMBDA_BATCH_SIZE, settings.lambdaWarmupBatches * LAMBDA_BATCH_SIZE));
  }
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (let round = 0; round < settings.lambdaRounds; round++) {
    for (const { subject, handler } of rotation(subjects, round)) {
      const work = orderBatches(LAMBDA_BATCH_SIZE, settings.lambdaBatchesPerSample * LAMBDA_BATCH_SIZE);
      standIn.reset();
      global.gc?.();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await invokeAll(handler, work);
      (wall[subject.name] ??= []).push((performance.now() - started) / work.length);
      const used = process.cpuUsage(cpuBefore);
      (cpu[subject.name] ??= []).push((used.user + used.system - standIn.ownCpuMicros) / 1000 / work.length);
    }
  }
  const bySubject = (samples: Record<string, number[]>) => Object.fromEntries(subjects.map(({ subject }) => [subject.name, sampled(samples[subject.name])]));
  return { wallMs: bySubject(wall), cpuMs: bySubject(cpu) };
}
