import { benchDynamoDbClient } from './dynamodb-client';
import { DynamoDbStandIn } from './dynamodb-stand-in';
import { BATCH_SIZES, orderBatches } from './events';
import { invokeAll } from './invoke';
import { runningSubjects } from './running-subjects';
import type { BenchSettings } from './settings';
import { rotation, round, sampled, type Sampled } from './stats';
import { benchTables, SUBJECTS } from './subjects';

/** CPU per record of each subject at one batch size: net of the stand-in's own time, and gross (all CPU the process used). */
export interface CpuAtBatchSize {
  readonly netMicros: Record<string, Sampled>;
  readonly grossMicros: Record<string, Sampled>;
  /** Requests per fresh record the stand-in answered, by operation (its last sample): a cross-check of the DynamoDB Local counts. */
  readonly standInRequestsPerRecord: Record<string, Record<string, number>>;
}

export type CpuResults = Record<string, CpuAtBatchSize>;

/**
 * CPU microseconds per fresh record (validate, claim, handle, complete), DynamoDB stood in inside
 * the process with no delay. Every subject lives in this one process; each round runs each
 * subject once, in rotating order, from a collected heap.
 */
export async function measureCpuPerRecord(settings: BenchSettings): Promise<CpuResults> {
  const standIn = new DynamoDbStandIn(benchTables());
  const subjects = runningSubjects(SUBJECTS, () => {
    const client = benchDynamoDbClient();
    standIn.attach(client);
    return client;
  });

  const results: CpuResults = {};
  for (const batchSize of BATCH_SIZES) {
    for (const { handler } of subjects) {
      await invokeAll(handler, orderBatches(batchSize, settings.cpuWarmupRecords));
    }
    const net: Record<string, number[]> = {};
    const gross: Record<string, number[]> = {};
    const requests: Record<string, Record<string, number>> = {};
    for (let round_ = 0; round_ < settings.cpuRounds; round_++) {
      for (const { subject, handler } of rotation(subjects, round_)) {
        const work = orderBatches(batchSize, settings.cpuRecordsPerSample);
        const records = work.length * batchSize;
        standIn.reset();
        // Collect the garbage of the previous sample (and of building these events) before measuring.
        global.gc?.();
        const before = process.cpuUsage();
        await invokeAll(handler, work);
        const used = process.cpuUsage(before);
        const grossMicros = (used.user + used.system) / records;
        (gross[subject.name] ??= []).push(grossMicros);
        (net[subject.name] ??= []).push(grossMicros - standIn.ownCpuMicros / records);
        requests[subject.name] = Object.fromEntries(Object.entries(standIn.requests).map(([operation, count]) => [operation, round(count / records, 3)]));
      }
    }
    results[`batch${batchSize}`] = {
      netMicros: Object.fromEntries(subjects.map(({ subject }) => [subject.name, sampled(net[subject.name])])),
      grossMicros: Object.fromEntries(subjects.map(({ subject }) => [subject.name, sampled(gross[subject.name])])),
      standInRequestsPerRecord: requests,
    };
  }
  return results;
}
