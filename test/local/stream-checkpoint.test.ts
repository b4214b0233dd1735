/*
 * The local Kinesis mapping's decisions after each invocation: how the partial batch response is
 * read, where the checkpoint moves, bisection, the retry bound and record age, as the Lambda
 * Developer Guide describes them for Kinesis ("Configuring partial batch response", "Retain
 * discarded batch records").
 */
import fc from 'fast-check';
import type { InvocationResult } from '../../local/src/lambda-function';
import {
  expiredRecords, nextStreamStep, START_OF_SHARD, streamBatchOutcome, type ShardProgress, type StreamBatchOutcome, type StreamRetryPolicy,
} from '../../local/src/stream-checkpoint';

const SEQUENCE = ['101', '102', '103', '104'];
const returned = (value: unknown): InvocationResult => ({ kind: 'returned', value });

describe('streamBatchOutcome', () => {
  test.each([
    ['no response', undefined],
    ['null', null],
    ['empty object', {}],
    ['null list', { batchItemFailures: null }],
    ['empty list', { batchItemFailures: [] }],
  ])('%s: the whole batch succeeded', (_name, value) => {
    expect(streamBatchOutcome(returned(value), SEQUENCE, true)).toEqual({ kind: 'success' });
  });

  test('several failures: the checkpoint is the lowest sequence number reported, whatever the order', () => {
    const value = { batchItemFailures: [{ itemIdentifier: '104' }, { itemIdentifier: '102' }] };
    expect(streamBatchOutcome(returned(value), SEQUENCE, true)).toEqual({ kind: 'partial', firstFailed: 1 });
  });

  test.each([
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null identifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a bad key name', { batchItemFailures: [{ itemId: '102' }] }],
    ['a sequence number not in the batch', { batchItemFailures: [{ itemIdentifier: '999' }] }],
    ['not a list', { batchItemFailures: '102' }],
  ])('%s fails the whole batch', (_name, value) => {
    expect(streamBatchOutcome(returned(value), SEQUENCE, true)).toEqual({ kind: 'failure' });
  });

  test('a thrown error, a crash or a timeout fails the whole batch', () => {
    expect(streamBatchOutcome({ kind: 'threw', error: 'boom' }, SEQUENCE, true)).toEqual({ kind: 'failure' });
    expect(streamBatchOutcome({ kind: 'crashed', error: 'Task timed out after 3 seconds' }, SEQUENCE, false)).toEqual({ kind: 'failure' });
  });

  test('without ReportBatchItemFailures a response is not read', () => {
    expect(streamBatchOutcome(returned({ batchItemFailures: [{ itemIdentifier: '102' }] }), SEQUENCE, false)).toEqual({ kind: 'success' });
  });
});

describe('nextStreamStep', () => {
  const bisect: StreamRetryPolicy = { maximumRetryAttempts: 2, bisectBatchOnError: true };
  const whole: StreamRetryPolicy = { maximumRetryAttempts: 2, bisectBatchOnError: false };
  const failure: StreamBatchOutcome = { kind: 'failure' };

  test('a success checkpoints the batch and forgets the retries', () => {
    expect(nextStreamStep(4, { kind: 'success' }, { retries: 1, invocations: 2, pending: [3] }, bisect))
      .toEqual({ checkpointed: 4, givenUp: 0, split: false, progress: { retries: 0, invocations: 0, pending: [3] } });
  });

  test('a partial failure checkpoints before the failed record; with bisection only the rest of the batch is retried', () => {
    expect(nextStreamStep(4, { kind: 'partial', firstFailed: 1 }, START_OF_SHARD, bisect))
      .toEqual({ checkpointed: 1, givenUp: 0, split: false, progress: { retries: 1, invocations: 1, pending: [3] } });
    expect(nextStreamStep(4, { kind: 'partial', firstFailed: 1 }, START_OF_SHARD, whole))
      .toEqual({ checkpointed: 1, givenUp: 0, split: false, progress: { retries: 1, invocations: 1, pending: [] } });
  });

  test('a failed invocation is split in two without spending a retry; a single record is retried whole', () => {
    expect(nextStreamStep(5, failure, START_OF_SHARD, bisect))
      .toEqual({ checkpointed: 0, givenUp: 0, split: true, progress: { retries: 0, invocations: 1, pending: [3, 2] } });
    expect(nextStreamStep(1, failure, { retries: 0, invocations: 3, pending: [2] }, bisect))
      .toEqual({ checkpointed: 0, givenUp: 0, split: false, progress: { retries: 1, invocations: 4, pending: [1, 2] } });
    expect(nextStreamStep(5, failure, START_OF_SHARD, whole))
      .toEqual({ checkpointed: 0, givenUp: 0, split: false, progress: { retries: 1, invocations: 1, pending: [5] } });
  });

  test('with no retry left the records at the checkpoint are given up, and the shard moves on', () => {
    expect(nextStreamStep(1, failure, { retries: 2, invocations: 5, pending: [2] }, bisect))
      .toEqual({ checkpointed: 0, givenUp: 1, approximateInvokeCount: 6, split: false, progress: { retries: 0, invocations: 0, pending: [2] } });
    expect(nextStreamStep(4, { kind: 'partial', firstFailed: 0 }, { retries: 2, invocations: 3, pending: [] }, whole))
      .toEqual({ checkpointed: 0, givenUp: 4, approximateInvokeCount: 4, split: false, progress: { retries: 0, invocations: 0, pending: [] } });
  });

  test('-1 retries until the records expire', () => {
    const forever: StreamRetryPolicy = { maximumRetryAttempts: -1, bisectBatchOnError: false };
    expect(nextStreamStep(2, failure, { retries: 10_000, invocations: 10_001, pending: [] }, forever).givenUp).toBe(0);
  });

  test('an always-failing record among good ones: found by bisection, given up after exactly the retry bound, the others checkpointed', () => {
    const bad = 5;
    const policy: StreamRetryPolicy = { maximumRetryAttempts: 3, bisectBatchOnError: true };
    let buffer = Array.from({ length: 8 }, (_, i) => i);
    let progress: ShardProgress = START_OF_SHARD;
    const processed: number[] = [];
    const givenUp: number[] = [];
    let badInvocations = 0;
    for (let round = 0; buffer.length > 0 && round < 100; round++) {
      const size = Math.min(progress.pending[0] ?? 8, buffer.length);
      const batch = buffer.slice(0, size);
      if (batch.includes(bad)) badInvocations++;
      const outcome: StreamBatchOutcome = batch.includes(bad) ? failure : { kind: 'success' };
      const step = nextStreamStep(size, outcome, { ...progress, pending: progress.pending.slice(1) }, policy);
      processed.push(...batch.slice(0, step.checkpointed));
      givenUp.push(...batch.slice(step.checkpointed, step.checkpointed + step.givenUp));
      buffer = buffer.slice(step.checkpointed + step.givenUp);
      progress = step.progress;
    }
    expect(processed).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(givenUp).toEqual([bad]);
    // 8 → 4 → 2 → 1 (three splits), then the record alone: its first try and 3 retries.
    expect(badInvocations).toBe(3 + 1 + policy.maximumRetryAttempts);
  });
});

describe('a shard under random failures (property)', () => {
  /**
   * Runs a shard of `size` records through nextStreamStep. Each record fails its invocations as
   * `kinds` says: 'ok', 'item' (reported in batchItemFailures, the lanes after it not started),
   * 'throw' (the invocation fails whole) — for its first `failures` attempts, or always (-1).
   */
  function runShard(size: number, batchSize: number, behaviour: ReadonlyArray<{ kind: 'item' | 'throw'; failures: number } | null>, policy: StreamRetryPolicy) {
    const attempts = new Array<number>(size).fill(0);
    const outcomes: Array<'processed' | 'givenUp'> = [];
    let next = 0;
    let progress: ShardProgress = START_OF_SHARD;
    for (let invocation = 0; next < size; invocation++) {
      if (invocation > 10_000) throw new Error('the shard never finished');
      const length = Math.min(progress.pending[0] ?? batchSize, size - next);
      const batch = Array.from({ length }, (_, i) => next + i);
      let outcome: StreamBatchOutcome = { kind: 'success' };
      for (const [index, record] of batch.entries()) {
        attempts[record]++;
        const b = behaviour[record];
        if (b && (b.failures < 0 || attempts[record] <= b.failures)) {
          outcome = b.kind === 'throw' ? { kind: 'failure' } : { kind: 'partial', firstFailed: index };
          break;
        }
      }
      const step = nextStreamStep(length, outcome, { ...progress, pending: progress.pending.slice(1) }, policy);
      outcomes.push(...batch.slice(0, step.checkpointed).map(() => 'processed' as const), ...batch.slice(step.checkpointed, step.checkpointed + step.givenUp).map(() => 'givenUp' as const));
      next += step.checkpointed + step.givenUp;
      progress = step.progress;
    }
    return { outcomes };
  }

  const failing = fc.option(fc.record({ kind: fc.constantFrom('item' as const, 'throw' as const), failures: fc.integer({ min: -1, max: 6 }) }), { freq: 3 });

  test('every record is passed once; an always-failing record is given up; with no more failures in the shard than retries, none is', () => {
    fc.assert(fc.property(
      fc.array(failing, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 4 }), fc.boolean(),
      (behaviour, batchSize, maximumRetryAttempts, bisectBatchOnError) => {
        const { outcomes } = runShard(behaviour.length, batchSize, behaviour, { maximumRetryAttempts, bisectBatchOnError });
        expect(outcomes).toHaveLength(behaviour.length);
        behaviour.forEach((b, record) => {
          if (b?.failures === -1) expect(outcomes[record]).toBe('givenUp');
        });
        // Retries belong to the batch at the checkpoint (Lambda's rule), so one record's failures
        // can use up another's; but each failed invocation spends at most one retry.
        const failures = behaviour.reduce((sum, b) => sum + (b ? (b.failures < 0 ? Infinity : b.failures) : 0), 0);
        if (failures <= maximumRetryAttempts) expect(outcomes.every((outcome) => outcome === 'processed')).toBe(true);
      },
    ));
  });
});

describe('expiredRecords', () => {
  test('the records older than the maximum age are the prefix given up; -1 sets no limit', () => {
    const now = 1_000_000;
    expect(expiredRecords([now - 90_000, now - 61_000, now - 30_000, now], 60, now)).toBe(2);
    expect(expiredRecords([now - 90_000], 60, now)).toBe(1);
    expect(expiredRecords([now - 90_000], -1, now)).toBe(0);
    expect(expiredRecords([now - 1_000], 60, now)).toBe(0);
  });
});
