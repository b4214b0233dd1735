/**
 * How much of each measurement a run takes. The full run fits in 15 minutes on a 2-core machine,
 * `--quick` in 2: fewer repetitions, same method (its figures are rougher, not different).
 */
export interface BenchSettings {
  readonly quick: boolean;
  /** Cold import: `node -e` runs per bundle (and of `node -e 0`). */
  readonly importRuns: number;
  /** CPU per record: records per subject before measuring, then rounds of `cpuRecordsPerSample` each. */
  readonly cpuWarmupRecords: number;
  readonly cpuRounds: number;
  readonly cpuRecordsPerSample: number;
  /** DynamoDB Local: records through both runtimes before measuring (its JIT speeds it up 2–3×), then rounds. */
  readonly localWarmupRecords: number;
  readonly localRounds: number;
  readonly localRecordsPerSample: number;
  /** Synth: runs per (library, consumers, validation), each in a fresh process. */
  readonly synthRuns: number;
  readonly consumerCounts: readonly number[];
  /** Consumer counts synthesized with CloudFormation validation on (it costs seconds per fresh process: it loads the CloudFormation schema). */
  readonly validatedConsumerCounts: readonly number[];
  /** Synthesize the computed largest stack (and one consumer more) to confirm it. */
  readonly confirmCapacity: boolean;
}

export function benchSettings(quick: boolean): BenchSettings {
  return quick
    ? {
      quick,
      importRuns: 7,
      cpuWarmupRecords: 1000,
      cpuRounds: 5,
      cpuRecordsPerSample: 500,
      localWarmupRecords: 2000,
      localRounds: 3,
      localRecordsPerSample: 300,
      synthRuns: 1,
      consumerCounts: [1, 10],
      validatedConsumerCounts: [10],
      confirmCapacity: false,
    }
    : {
      quick,
      importRuns: 20,
      cpuWarmupRecords: 4000,
      cpuRounds: 15,
      cpuRecordsPerSample: 2000,
      localWarmupRecords: 20_000,
      localRounds: 7,
      localRecordsPerSample: 1000,
      synthRuns: 5,
      consumerCounts: [1, 10, 50],
      validatedConsumerCounts: [1, 10, 50],
      confirmCapacity: true,
    };
}
