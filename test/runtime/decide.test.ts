import { attributesThatFit, claimTimes, decideExisting, decideRefusedCompletion, decideRoute, extendedClaimTimes, hasTimeToStart, isOwnClaim, lockCheckAtMs, lockDurationMs, MAX_LOCK_MS } from '../../runtime/src/decide';

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
