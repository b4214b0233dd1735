/**
 * How much of each measurement a run takes. The full run fits in about 10 minutes on a 2-core
 * machine, `--quick` in about one: fewer repetitions, same method (its figures are rougher, not
 * different).
 */
export interface BenchSettings {
  readonly quick: boolean;
  /** Cold import: rounds of one fresh process per bundle. */
  readonly importRounds: number;
  /** CPU per record: records per subject before measuring, then rounds of `cpuRecordsPerSample` per subject. */
  readonly cpuWarmupRecords: number;
  readonly cpuRounds: number;
  readonly cpuRecordsPerSample: number;
  /** Lambda time with a 5 ms round trip: batches of 100 per subject before measuring, then rounds of `lambdaBatchesPerSample`. */
  readonly lambdaWarmupBatches: number;
  readonly lambdaRounds: number;
  readonly lambdaBatchesPerSample: number;
  /** DynamoDB Local: records through every subject before measuring (its JIT speeds it up 2–3×), then rounds. */
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

/** The round trip to DynamoDB the Lambda-time measurement adds to every request (an in-region figure). */
export const ROUND_TRIP_MS = 5;
/** The batch size of the Lambda-time measurement. */
export const LAMBDA_BATCH_SIZE = 100;

export function benchSettings(quick: boolean): BenchSettings {
  return quick
    ? {
      quick,
      importRounds: 6,
      cpuWarmupRecords: 300,
      cpuRounds: 5,
      cpuRecordsPerSample: 200,
      lambdaWarmupBatches: 2,
      lambdaRounds: 5,
      lambdaBatchesPerSample: 1,
      localWarmupRecords: 600,
      localRounds: 3,
      localRecordsPerSample: 100,
      synthRuns: 1,
      consumerCounts: [1, 10],
      // Validation costs seconds per process (it loads the CloudFormation schema): the full run only.
      validatedConsumerCounts: [],
      confirmCapacity: false,
    }
    : {
      quick,
      importRounds: 25,
      cpuWarmupRecords: 2000,
      cpuRounds: 9,
      cpuRecordsPerSample: 1000,
      lambdaWarmupBatches: 5,
      lambdaRounds: 12,
      lambdaBatchesPerSample: 3,
      localWarmupRecords: 6000,
      localRounds: 7,
      localRecordsPerSample: 800,
      synthRuns: 5,
      consumerCounts: [1, 10, 50],
      validatedConsumerCounts: [1, 10, 50],
      confirmCapacity: true,
    };
}
