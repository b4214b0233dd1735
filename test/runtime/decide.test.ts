import { attributesThatFit, chunksOf, claimTimes, completionDueAtMs, decideExisting, decideFoundRecord, decideRefusedCommit, decideRefusedCompletion, decideRoute, extendedClaimTimes, hasTimeToStart, isClaimable, isFlushDue, isOwnClaim, LOCK_WAIT_MARGIN_MS, lockCheckAtMs, lockDurationMs, lockWaitMs, MAX_LOCK_MS } from '../../runtime/src/decide';

describe('the lock', () => {
  test.each([
    ['remaining time known', 45_000, 45_000],
    ['remaining time 0', 0, 60_000],
    ['remaining time negative', -5, 60_000],
    ['remaining time unknown', undefined, 60_000],
    ['remaining time beyond a Lambda', 10 * MAX_LOCK_MS, MAX_LOCK_MS],
  ])('%s: bounded', (_case, remaining, expected) => {
    expect(lockDurationMs(remaining, 60_000)).toBe(expected);
  });

  test('a fallback of 0 still gives a bounded, positive lock', () => {
    expect(lockDurationMs(undefined, 0)).toBe(1);
  });

  test('the TTL never ends before the lock', () => {
    const now = 1_800_000_000_000;
    expect(claimTimes(now, 30_000, { lockFallbackMs: 60_000, expiresAfterSeconds: 3600 })).toEqual({ lockUntilMs: now + 30_000, expiresAtSeconds: now / 1000 + 3600 });
    expect(claimTimes(now, 600_000, { lockFallbackMs: 60_000, expiresAfterSeconds: 1 })).toEqual({ lockUntilMs: now + 600_000, expiresAtSeconds: (now + 600_000) / 1000 });
  });
});

describe('waiting out a lock left by an earlier invocation of the lane', () => {
  const now = 1_800_000_000_000;
  const claimed = (lockUntilMs?: number) => ({ status: 'IN_PROGRESS', payloadHash: 'h', claimToken: 't', ...(lockUntilMs === undefined ? {} : { lockUntilMs }) });

  test('a lock that ends before the time guard: waited for, plus the clock margin', () => {
    expect(lockWaitMs(claimed(now + 4000), now, 60_000, 2000)).toBe(4000 + LOCK_WAIT_MARGIN_MS);
    expect(lockWaitMs(claimed(now - 10), now, 60_000, 2000)).toBe(LOCK_WAIT_MARGIN_MS);
  });

  test('a lock that ends after the time guard: waited for until the time guard', () => {
    expect(lockWaitMs(claimed(now + 58_000), now, 60_000, 2000)).toBe(58_000);
  });

  test.each([
    ['no time left before the time guard', claimed(now + 1000), 2000],
    ['the remaining time is unknown', claimed(now + 1000), undefined],
    ['no lock on the record', claimed(), 60_000],
    ['the record is COMPLETED', { status: 'COMPLETED', lockUntilMs: now + 1000 }, 60_000],
  ])('never waited: %s', (_case, existing, remaining) => {
    expect(lockWaitMs(existing, now, remaining, 2000)).toBeUndefined();
  });
});

describe('extending the lock while a handler runs', () => {
  const now = 1_800_000_000_000;
  const options = { lockFallbackMs: 60_000, expiresAfterSeconds: 3600 };

  test('the next extension comes at the lock\'s midpoint', () => {
    expect(lockCheckAtMs({ writtenAtMs: now, lockUntilMs: now + 30_000 })).toBe(now + 15_000);
  });

  test('a lock from the fallback (remaining time unknown) is extended by the fallback from now, the TTL with it', () => {
    expect(extendedClaimTimes(now, now + 30_000, undefined, options)).toEqual({ lockUntilMs: now + 60_000, expiresAtSeconds: now / 1000 + 3600 });
    expect(extendedClaimTimes(now, now + 30_000, undefined, { ...options, expiresAfterSeconds: 1 })).toEqual({ lockUntilMs: now + 60_000, expiresAtSeconds: (now + 60_000) / 1000 });
  });

  test('a lock that already reaches the invocation\'s deadline is not extended, however the deadline rounds', () => {
    const deadline = now + 30_000;
    for (const drift of [-2, -1, 0, 1, 2]) {
      expect(extendedClaimTimes(now, deadline, deadline - now + drift, options)).toBeUndefined();
    }
  });

  test('a lock that ran out unnoticed (the event loop was busy) is still extended: the fence decides whether it is ours', () => {
    expect(extendedClaimTimes(now, now - 1000, undefined, options)?.lockUntilMs).toBe(now + 60_000);
  });
});

test('time to start: below the threshold no, unknown remaining time yes', () => {
  expect(hasTimeToStart(1999, 2000)).toBe(false);
  expect(hasTimeToStart(2000, 2000)).toBe(true);
  expect(hasTimeToStart(undefined, 2000)).toBe(true);
});

test.each([
  [{ status: 'COMPLETED', payloadHash: 'h' }, 'h', 'duplicate'],
  [{ status: 'COMPLETED', payloadHash: 'other' }, 'h', 'conflict'],
  [{ status: 'IN_PROGRESS', payloadHash: 'h' }, 'h', 'in-progress'],
  [{ status: 'IN_PROGRESS', payloadHash: 'other' }, 'h', 'conflict'],
  [{ status: 'IN_PROGRESS' }, 'h', 'in-progress'],
])('an existing record %p against hash %p: %p', (existing, hash, expected) => {
  expect(decideExisting(existing, hash)).toBe(expected);
});

test.each([
  [{ status: 'IN_PROGRESS', claimToken: 'ours' }, true],
  [{ status: 'IN_PROGRESS', claimToken: 'theirs' }, false],
  [{ status: 'COMPLETED', claimToken: 'ours' }, false],
  [{ status: 'IN_PROGRESS' }, false],
])('the record that stopped our claim %p is our own claim: %p', (existing, expected) => {
  expect(isOwnClaim(existing, 'ours')).toBe(expected);
});

test.each([
  ['our own commit (an earlier attempt, response lost)', { fenceFailed: true, record: { status: 'COMPLETED', claimToken: 'ours' } }, 'completed'],
  ['another invocation completed it', { fenceFailed: true, record: { status: 'COMPLETED', claimToken: 'theirs' } }, 'claim-lost'],
  ['another invocation holds it', { fenceFailed: true, record: { status: 'IN_PROGRESS', claimToken: 'theirs' } }, 'claim-lost'],
  ['the record is gone', { fenceFailed: true }, 'claim-lost'],
  ['another write of the transaction failed', { fenceFailed: false }, 'cancelled'],
])('a refused completion, %s: %p', (_case, refusal, expected) => {
  expect(decideRefusedCompletion({ ...refusal, error: new Error('refused') }, 'ours')).toBe(expected);
});

describe('batched claims: the record an INSERT found', () => {
  const now = 1_800_000_000_000;
  const live = { status: 'IN_PROGRESS', claimToken: 'theirs', payloadHash: 'h', lockUntilMs: now + 1000, expiresAtSeconds: now / 1000 + 3600 };

  test.each([
    ['gone since the INSERT (released, or deleted by TTL)', undefined, 'take-over'],
    ['our own claim (the response was lost, the SDK retried)', { ...live, claimToken: 'ours' }, 'claimed'],
    ['a claim whose lock ran out', { ...live, lockUntilMs: now - 1 }, 'take-over'],
    ['a claim whose lock ran out, another payload: taken over, as the single claim would', { ...live, lockUntilMs: now - 1, payloadHash: 'other' }, 'take-over'],
    ['a record past its TTL', { status: 'COMPLETED', payloadHash: 'other', expiresAtSeconds: now / 1000 - 1 }, 'take-over'],
    ['a live claim elsewhere', live, 'in-progress'],
    ['a live claim elsewhere, another payload', { ...live, payloadHash: 'other' }, 'conflict'],
    ['COMPLETED, same payload', { status: 'COMPLETED', payloadHash: 'h', expiresAtSeconds: now / 1000 + 1 }, 'duplicate'],
    ['COMPLETED, another payload', { status: 'COMPLETED', payloadHash: 'other', expiresAtSeconds: now / 1000 + 1 }, 'conflict'],
  ])('%s: %p', (_case, found, expected) => {
    expect(decideFoundRecord(found, 'ours', 'h', now)).toBe(expected);
  });

  test('claimable exactly as the claim condition says: TTL passed (seconds), or IN_PROGRESS with its lock passed (ms)', () => {
    expect(isClaimable({ status: 'COMPLETED', expiresAtSeconds: now / 1000 }, now)).toBe(false);
    expect(isClaimable({ status: 'COMPLETED', expiresAtSeconds: now / 1000 - 1 }, now)).toBe(true);
    expect(isClaimable({ status: 'IN_PROGRESS', lockUntilMs: now }, now)).toBe(false);
    expect(isClaimable({ status: 'IN_PROGRESS', lockUntilMs: now - 1 }, now)).toBe(true);
    expect(isClaimable({ status: 'COMPLETED', lockUntilMs: now - 1 }, now)).toBe(false);
  });
});

test.each([
  ['our own commit (an earlier attempt, response lost)', { status: 'COMPLETED', claimToken: 'ours', payloadHash: 'h' }, 'committed'],
  ['another commit, same payload', { status: 'COMPLETED', claimToken: 'theirs', payloadHash: 'h' }, 'duplicate'],
  ['another commit, another payload', { status: 'COMPLETED', claimToken: 'theirs', payloadHash: 'other' }, 'conflict'],
  ['a live claim-first claim', { status: 'IN_PROGRESS', claimToken: 'theirs', payloadHash: 'h' }, 'in-progress'],
  ['no record back', undefined, 'in-progress'],
])('a refused claim-free commit, %s: %p', (_case, record, expected) => {
  expect(decideRefusedCommit(record, 'ours', 'h')).toBe(expected);
});

describe('batched writes', () => {
  test('chunks of at most 25 in order, never one key twice in a chunk', () => {
    const items = Array.from({ length: 60 }, (_, i) => `k${i}`);
    expect(chunksOf(items, 25, (key) => key).map((chunk) => chunk.length)).toEqual([25, 25, 10]);
    expect(chunksOf(['a', 'b', 'a', 'c'], 25, (key) => key)).toEqual([['a', 'b', 'c'], ['a']]);
    expect(chunksOf([], 25, (key) => key)).toEqual([]);
  });

  test('a completion is due at its lock\'s midpoint, or earlier when the time guard would stop starting records', () => {
    const now = 1_800_000_000_000;
    const lock = { writtenAtMs: now - 10_000, lockUntilMs: now + 50_000 };
    expect(completionDueAtMs(now, lock, undefined, 2000)).toBe(now + 20_000);
    expect(completionDueAtMs(now, lock, 60_000, 2000)).toBe(now + 20_000);
    expect(completionDueAtMs(now, lock, 5000, 2000)).toBe(now + 3000);
    expect(completionDueAtMs(now, { writtenAtMs: now - 10_000, lockUntilMs: now }, 60_000, 2000)).toBe(now - 5000);
  });

  test('queued writes go out at 25, or once nothing runs or waits to start', () => {
    expect(isFlushDue(25, 10)).toBe(true);
    expect(isFlushDue(24, 1)).toBe(false);
    expect(isFlushDue(3, 0)).toBe(true);
    expect(isFlushDue(0, 0)).toBe(false);
  });
});

describe('routing', () => {
  const routes = { 'order.created': { versions: ['1', '2'] }, 'order.cancelled': {} };

  test('handles accepted versions, the default versions when a route lists none', () => {
    expect(decideRoute(routes, { type: 'order.created', version: '2' }, 'poison', ['1'])).toEqual({ action: 'handle', route: routes['order.created'] });
    expect(decideRoute(routes, { type: 'order.cancelled', version: '1' }, 'poison', ['1']).action).toBe('handle');
  });

  test('an unaccepted version is poison naming the accepted ones', () => {
    const decision = decideRoute(routes, { type: 'order.cancelled', version: '2' }, 'poison', ['1']);
    expect(decision).toMatchObject({ action: 'poison', error: { reason: 'unsupported-version', message: 'order.cancelled version "2" is not accepted (accepted: 1)' } });
  });

  test("an unknown type is poison, or skipped under 'skip'; inherited properties are no handlers", () => {
    expect(decideRoute(routes, { type: 'order.shipped', version: '1' }, 'poison', ['1'])).toMatchObject({ action: 'poison', error: { reason: 'unknown-type' } });
    expect(decideRoute(routes, { type: 'order.shipped', version: '1' }, 'skip', ['1'])).toEqual({ action: 'skip' });
    expect(decideRoute(routes, { type: 'constructor', version: '1' }, 'poison', ['1']).action).toBe('poison');
  });
});

test('DLQ attributes: fanout.error and fanout.reason always fit; the last originals give way', () => {
  const extra = ['fanout.error', 'fanout.reason'];
  expect(attributesThatFit(['type', 'version', 'source'], extra)).toEqual({ keep: ['type', 'version', 'source'], drop: [] });
  const ten = Array.from({ length: 10 }, (_, i) => `a${i}`);
  expect(attributesThatFit(ten, extra)).toEqual({ keep: ten.slice(0, 8), drop: ['a8', 'a9'] });
  expect(attributesThatFit(['fanout.reason', 'type'], extra)).toEqual({ keep: ['type'], drop: [] });
});
