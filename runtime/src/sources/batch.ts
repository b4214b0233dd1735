import type { SQSRecord } from 'aws-lambda';
import type { Outcome } from '../outcome.js';

/**
 * One invocation's records as the consumer pipeline reads them, whatever the event source: each
 * record in the shape of an SQS record (`body` the envelope text, `messageAttributes` the
 * producer's attributes), the lanes they run in, and how the outcomes become Lambda's answer.
 */
export interface SourceBatch<R = unknown> {
  readonly records: readonly SQSRecord[];
  /** Indexes into `records`: a lane runs in order and stops at its first failure; lanes run concurrently. */
  readonly lanes: readonly (readonly number[])[];
  /**
   * True when the source gives each lane to one invocation at a time and retries a failed batch
   * at once (Kinesis shards, Kafka partitions, a RabbitMQ mapping's single poller): a live claim
   * met here was left by an earlier invocation that crashed or timed out, and is worth waiting
   * out rather than spending a retry on. False for SQS, which redelivers only after the
   * visibility timeout, by when such a lock has ended.
   */
  readonly waitsOutLocks: boolean;
  /** The invocation's answer from each record's outcome (same indexes); throws when the source needs the whole batch redelivered. */
  respond(outcomes: readonly Outcome[]): R;
}

/** Per lane, the index of its first failed record: what a stream reports (the records after it never started). */
export function firstFailurePerLane(lanes: readonly (readonly number[])[], outcomes: readonly Outcome[]): number[] {
  const failures: number[] = [];
  for (const lane of lanes) {
    const index = lane.find((i) => outcomes[i].kind === 'failed');
    if (index !== undefined) failures.push(index);
  }
  return failures.sort((a, b) => a - b);
}

/** Groups indexes `0..count-1` by key (first appearance order), each group sorted by `compare`. */
export function lanesByKey(count: number, keyOf: (index: number) => string, compare: (a: number, b: number) => number): number[][] {
  const byKey = new Map<string, number[]>();
  for (let index = 0; index < count; index++) {
    const key = keyOf(index);
    const lane = byKey.get(key);
    if (lane) lane.push(index);
    else byKey.set(key, [index]);
  }
  return [...byKey.values()].map((lane) => lane.sort(compare));
}
