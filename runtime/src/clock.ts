/** Where the consumer's steps read the time (epoch ms): the system clock, or a test's. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
