/** Faults of a function's execution environments (see fault-preload.js). */
export interface FunctionFaults {
  /** Random faults replay from this seed (mixed with the thread id). */
  readonly seed: number;
  /** Share of DynamoDB requests that fail with a throttling error (0..1). */
  readonly dynamodbErrorRate?: number;
  /** Share of idempotency completions before which the environment crashes (0..1). */
  readonly crashBeforeCompletionRate?: number;
}

export function install(faults: FunctionFaults): void;

/** A deterministic generator of numbers in [0, 1): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number;

/** Whether a DynamoDB request (the SDK command's name and input) marks an idempotency record of `table` completed. */
export function completes(commandName: string, input: unknown, table: string | undefined): boolean;
