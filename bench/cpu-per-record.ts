import { benchDynamoDbClient } from './dynamodb-client';
import { DynamoDbStandIn } from './dynamodb-stand-in';
import { BATCH_SIZES, orderBatches } from './events';
import { invokeAll } from './invoke';
import type { BenchSettings } from './settings';
import { rotation, sampled, type Sampled } from './stats';
import { RUNTIME_SUBJECTS, type RuntimeName } from './subjects';

/** CPU per record: net of the stand-in's own time, and gross (all CPU the process used). */
export interface CpuPerRecord {
  readonly netMicros: Sampled;
  readonly grossMicros: Sampled;
}

export type CpuResults = Record<string, Record<RuntimeName, CpuPerRecord>>;

/**
 * CPU microseconds per fresh record (claim, validate, handle, complete), DynamoDB stood in
 * inside the process. Both runtimes live in this one process and take turns each round.
 */
export async function measureCpuPerRecord(settings: BenchSettings): Promise<CpuResults> {
  const standIn = new DynamoDbStandIn(Object.fromEntries(RUNTIME_SUBJECTS.map((s) => [s.tableName, s.keyAttribute])));
  const subjects = RUNTIME_SUBJECTS.map((subject) => {
    const client = benchDynamoDbClient();
    standIn.attach(client);
    return { name: subject.name, handler: subject.create({ tableName: subject.tableName, client }) };
  });

  const results: CpuResults = {};
  for (const batchSize of BATCH_SIZES) {
    for (const subject of subjects) {
      await invokeAll(subject.handler, orderBatches(batchSize, settings.cpuWarmupRecords));
    }
    const net: Record<string, number[]> = {};
    const gross: Record<string, number[]> = {};
    for (let round = 0; round < settings.cpuRounds; round++) {
      for (const subject of rotation(subjects, round)) {
        const work = orderBatches(batchSize, settings.cpuRecordsPerSample);
        const records = work.length * batchSize;
        standIn.reset();
        // Collect the garbage of the previous sample (and of building these events) before measuring.
        global.gc?.();
        const before = process.cpuUsage();
        await invokeAll(subject.handler, work);
        const used = process.cpuUsage(before);
        const grossMicros = (used.user + used.system) / records;
        (gross[subject.name] ??= []).push(grossMicros);
        (net[subject.name] ??= []).push(grossMicros - (standIn.ownTimeMs * 1000) / records);
      }
    }
    results[`batch${batchSize}`] = Object.fromEntries(subjects.map((s) => [s.name, {
      netMicros: sampled(net[s.name]),
      grossMicros: sampled(gross[s.name]),
    }])) as Record<RuntimeName, CpuPerRecord>;
  }
  return results;
}
