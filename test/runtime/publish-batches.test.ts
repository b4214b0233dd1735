/*
 * The batch sender every publisher shares (SNS, SQS, Kinesis, Kafka), against a simulated
 * service: random entry failures (retryable or not), whole calls that fail, and responses lost
 * after the service accepted every entry of the call. Properties: no entry is carried by more than
 * maxAttempts requests; within a group the first copies delivered are in input order; an entry
 * reported ok was delivered; an entry held back was never sent. The service's own ordering is the
 * call's order, as SNS/SQS FIFO, Kinesis PutRecords and a Kafka partition keep it.
 */
import fc from 'fast-check';
import { chunkBySize, EARLIER_ENTRY_FAILED, sendInBatches, type CallOutcome } from '../../runtime/src/publish-batches';
import { testSeed } from '@cdk-fanout/testing';

const SEED = testSeed();

type Fate = 'ok' | 'retryable' | 'fatal';
interface Call { readonly whole: 'answered' | 'failed' | 'lost'; readonly used: number; readonly fates: readonly Fate[] }

const scenario = fc.record({
  groups: fc.array(fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }), { minLength: 1, maxLength: 40 }),
  sizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 40, maxLength: 40 }),
  maxAttempts: fc.integer({ min: 1, max: 4 }),
  maxEntries: fc.integer({ min: 1, max: 6 }),
  calls: fc.array(fc.record({
    whole: fc.constantFrom<Call['whole']>('answered', 'answered', 'answered', 'failed', 'lost'),
    used: fc.integer({ min: 1, max: 3 }),
    fates: fc.array(fc.constantFrom<Fate>('ok', 'ok', 'ok', 'retryable', 'fatal'), { minLength: 6, maxLength: 6 }),
  }), { minLength: 60, maxLength: 60 }),
});

test(`sendInBatches: attempts bounded, order kept per group, results true (seed ${SEED})`, async () => {
  console.log(`publish-batches property: seed ${SEED} (replay with FANOUT_TEST_SEED=${SEED})`);
  await fc.assert(fc.asyncProperty(scenario, async ({ groups, sizes, maxAttempts, maxEntries, calls }) => {
    const items = groups.map((group, index) => ({ bytes: sizes[index], ...(group === undefined ? {} : { group }) }));
    const requests = new Array<number>(items.length).fill(0);
    const delivered: number[] = [];
    const sentEver = new Set<number>();
    let call = 0;
    const results = await sendInBatches<string>(items, {
      maxEntries, maxBytes: 100, maxAttempts, retryBaseDelayMs: 0, service: 'Test', groupName: 'group',
      async sendOnce(indexes, budget) {
        expect(indexes.length).toBeLessThanOrEqual(maxEntries);
        expect(indexes.length === 1 || indexes.reduce((sum, index) => sum + items[index].bytes, 0) <= 100).toBe(true);
        const { whole, used, fates } = calls[call++ % calls.length];
        // The client makes `used` requests (its own retries), never more than the budget allows.
        const made = Math.min(used, budget.limit);
        budget.used = made;
        for (const index of indexes) {
          requests[index] += made;
          sentEver.add(index);
        }
        const outcomes = new Map<number, CallOutcome<string>>();
        if (whole === 'failed') {
          for (const index of indexes) outcomes.set(index, { ok: false, code: 'InternalError', message: 'x', senderFault: false, retryable: true });
          return outcomes;
        }
        // Every request the client made reached the service.
        for (let request = 0; request < made; request++) {
          indexes.forEach((index, position) => {
            if (whole === 'lost' || request < made - 1 || fates[position] === 'ok') delivered.push(index);
          });
        }
        indexes.forEach((index, position) => {
          const fate = whole === 'lost' ? 'retryable' : fates[position];
          outcomes.set(index, fate === 'ok' ? { ok: true, value: `m-${index}` } : { ok: false, code: fate, message: 'x', senderFault: fate === 'fatal', retryable: fate === 'retryable' });
        });
        return outcomes;
      },
    });

    expect(results).toHaveLength(items.length);
    for (const count of requests) expect(count).toBeLessThanOrEqual(maxAttempts);
    for (const [index, result] of results.entries()) {
      if (result.ok) expect(delivered).toContain(index);
      if (!result.ok && result.error.code === EARLIER_ENTRY_FAILED) expect(sentEver.has(index)).toBe(false);
    }
    for (const group of ['a', 'b', 'c']) {
      const firsts = [...new Set(delivered.filter((index) => items[index].group === group))];
      expect(firsts).toEqual([...firsts].sort((x, y) => x - y));
    }
  }), { seed: SEED, numRuns: 300 });
});

test('chunkBySize: at most maxEntries and maxBytes per chunk, an oversized entry alone, order kept', () => {
  expect(chunkBySize([5, 5, 5, 5, 5], 2, 100)).toEqual([[0, 1], [2, 3], [4]]);
  expect(chunkBySize([60, 50, 10, 200, 1], 10, 100)).toEqual([[0], [1, 2], [3], [4]]);
  expect(chunkBySize([], 10, 100)).toEqual([]);
});
