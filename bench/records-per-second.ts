import { BATCH_SIZES, orderBatches } from './events';
import { invokeAll } from './invoke';
import type { RunningSubject } from './running-subjects';
import type { BenchSettings } from './settings';
import { rotation, sampled, type Sampled } from './stats';

export type ThroughputResults = Record<string, Record<string, Sampled>>;

/**
 * Fresh records per second through one warm container, batches one after another, against
 * DynamoDB Local. Caveat (bench/README.md): DynamoDB Local is bound by its own per-item work and
 * runs the statements of one batch one after another, so fewer, larger requests gain little here
 * although they gain on DynamoDB.
 */
export async function measureRecordsPerSecond(subjects: readonly RunningSubject[], settings: BenchSettings): Promise<ThroughputResults> {
  // DynamoDB Local runs on the JVM: its first thousands of requests are 2–3× slower than the rest.
  for (const { handler } of subjects) {
    await invokeAll(handler, orderBatches(10, settings.localWarmupRecords / subjects.length));
  }
  const results: ThroughputResults = {};
  for (const batchSize of BATCH_SIZES) {
    const perSecond: Record<string, number[]> = {};
    for (let round = 0; round < settings.localRounds; round++) {
      for (const { subject, handler } of rotation(subjects, round)) {
        const work = orderBatches(batchSize, settings.localRecordsPerSample);
        const started = performance.now();
        await invokeAll(handler, work);
        const seconds = (performance.now() - started) / 1000;
        (perSecond[subject.name] ??= []).push((work.length * batchSize) / seconds);
      }
    }
    results[`batch${batchSize}`] = Object.fromEntries(subjects.map(({ subject }) => [subject.name, sampled(perSecond[subject.name])]));
  }
  return results;
}
