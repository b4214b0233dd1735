import { BATCH_SIZES, orderBatches } from './events';
import type { BenchHandler } from './handlers/handler-options';
import { invokeAll } from './invoke';
import type { BenchSettings } from './settings';
import { rotation, sampled, type Sampled } from './stats';
import type { RuntimeName } from './subjects';

export type ThroughputResults = Record<string, Record<RuntimeName, Sampled>>;

/**
 * Fresh records per second through one warm container, batches one after another, against
 * DynamoDB Local: what the runtime's concurrency within a batch and its request count buy.
 */
export async function measureRecordsPerSecond(
  subjects: readonly { readonly name: RuntimeName; readonly handler: BenchHandler }[],
  settings: BenchSettings,
): Promise<ThroughputResults> {

  // DynamoDB Local runs on the JVM: its first thousands of requests are 2–3× slower than the rest.
  for (const subject of subjects) {
    await invokeAll(subject.handler, orderBatches(10, settings.localWarmupRecords / subjects.length));
  }
  const results: ThroughputResults = {};
  for (const batchSize of BATCH_SIZES) {
    const perSecond: Record<string, number[]> = {};
    for (let round = 0; round < settings.localRounds; round++) {
      for (const subject of rotation(subjects, round)) {
        const work = orderBatches(batchSize, settings.localRecordsPerSample);
        const started = performance.now();
        await invokeAll(subject.handler, work);
        const seconds = (performance.now() - started) / 1000;
        (perSecond[subject.name] ??= []).push((work.length * batchSize) / seconds);
      }
    }
    results[`batch${batchSize}`] = Object.fromEntries(subjects.map((s) => [s.name, sampled(perSecond[s.name])])) as Record<RuntimeName, Sampled>;
  }
  return results;
}
