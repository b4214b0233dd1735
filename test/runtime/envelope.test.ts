import fc from 'fast-check';
import { createEnvelope, parseEnvelope, PoisonMessageError, type Envelope } from '@cdk-fanout/runtime';
import { payloadHash } from '../../runtime/src/payload-hash';

const valid: Envelope = {
  id: '0b8e4b1e-6a54-4c6c-9d0e-2f4f3c1a7b10',
  type: 'order.created',
  version: '1',
  timestamp: '2026-11-27T10:00:00.000Z',
  source: 'order-service',
  correlationId: 'req-42',
  data: { orderId: 'o-1', amount: 12.5 },
};

function poisonOf(input: unknown): PoisonMessageError {
  try {
    parseEnvelope(input);
  } catch (err) {
    if (err instanceof PoisonMessageError) return err;
    throw err;
  }
  throw new Error('parseEnvelope accepted it');
}

describe('parseEnvelope', () => {
  test('reads the documented example envelope from text or a parsed object, keeping only envelope fields', () => {
    expect(parseEnvelope(JSON.stringify(valid))).toEqual(valid);
    expect(parseEnvelope({ ...valid, extra: 'dropped' })).toEqual(valid);
    const { correlationId: _omitted, ...withoutCorrelation } = valid;
    expect(parseEnvelope(withoutCorrelation)).toEqual(withoutCorrelation);
  });

  test.each([
    ['malformed JSON', '{"id":', 'malformed-json', /not JSON/],
    ['not an object', '[1,2]', 'invalid-envelope', /must be a JSON object, got an array/],
    ['id missing', { ...valid, id: undefined }, 'invalid-envelope', /^id must be/],
    ['id empty', { ...valid, id: '' }, 'invalid-envelope', /^id must be/],
    ['id too long', { ...valid, id: 'x'.repeat(129) }, 'invalid-envelope', /^id must be a non-empty string of at most 128/],
    ['type not noun.verb', { ...valid, type: 'order' }, 'invalid-envelope', /^type must be/],
    ['type upper case', { ...valid, type: 'Order.Created' }, 'invalid-envelope', /^type must be/],
    ['version a number', { ...valid, version: 1 }, 'invalid-envelope', /^version must be a string of digits, got 1/],
    ['version not digits', { ...valid, version: 'v1' }, 'invalid-envelope', /^version must be/],
    ['timestamp without zone', { ...valid, timestamp: '2026-11-27T10:00:00' }, 'invalid-envelope', /^timestamp must be/],
    ['timestamp impossible', { ...valid, timestamp: '2026-13-45T10:00:00Z' }, 'invalid-envelope', /^timestamp must be/],
    ['timestamp on February 30th', { ...valid, timestamp: '2024-02-30T10:00:00Z' }, 'invalid-envelope', /^timestamp must be a real ISO 8601/],
    ['timestamp at 24:00', { ...valid, timestamp: '2026-11-27T24:00:00Z' }, 'invalid-envelope', /^timestamp must be/],
    ['timestamp with 60 seconds', { ...valid, timestamp: '2026-11-27T10:00:60Z' }, 'invalid-envelope', /^timestamp must be/],
    ['timestamp offset +25:00', { ...valid, timestamp: '2026-11-27T10:00:00+25:00' }, 'invalid-envelope', /^timestamp must be/],
    ['id with a lone surrogate', { ...valid, id: 'order-\uD800' }, 'invalid-envelope', /^id must be .* valid Unicode/],
    ['source with a lone surrogate', { ...valid, source: '\uDC00svc' }, 'invalid-envelope', /^source must be .* valid Unicode/],
    ['correlationId with a lone surrogate', { ...valid, correlationId: 'c\uD83D' }, 'invalid-envelope', /^correlationId must be .* valid Unicode/],
    ['data nested 2,500 levels deep (a 6 KB body)', JSON.stringify({ ...valid, data: JSON.parse('['.repeat(2500) + ']'.repeat(2500)) }), 'invalid-envelope', /^data is nested more than 32 levels deep$/],
    ['source empty', { ...valid, source: '' }, 'invalid-envelope', /^source must be/],
    ['correlationId not a string', { ...valid, correlationId: 42 }, 'invalid-envelope', /^correlationId must be/],
    ['data missing', { ...valid, data: undefined }, 'invalid-envelope', /^data is missing/],
  ])('%s: PoisonMessageError naming the field', (_case, input, reason, message) => {
    const error = poisonOf(input);
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
  });

  test('accepts leap days, emoji ids (a surrogate pair), and data nested exactly 32 levels', () => {
    expect(parseEnvelope({ ...valid, timestamp: '2024-02-29T23:59:59.999Z' }).timestamp).toBe('2024-02-29T23:59:59.999Z');
    expect(parseEnvelope({ ...valid, id: 'order-\u{1F4E6}' }).id).toBe('order-\u{1F4E6}');
    const deepest = JSON.parse('['.repeat(32) + ']'.repeat(32));
    expect(parseEnvelope({ ...valid, data: deepest }).data).toEqual(deepest);
  });

  test('accepts offsets, null data, and a timestamp without seconds', () => {
    expect(parseEnvelope({ ...valid, timestamp: '2026-11-27T10:00:00+02:00' }).timestamp).toBe('2026-11-27T10:00:00+02:00');
    expect(parseEnvelope({ ...valid, data: null }).data).toBeNull();
    expect(parseEnvelope({ ...valid, timestamp: '2026-11-27T10:00Z' }).timestamp).toBe('2026-11-27T10:00Z');
  });

  test('property: any input gives an envelope or a PoisonMessageError, nothing else', () => {
    const almostValid = fc.record({
      id: fc.oneof(fc.string({ maxLength: 130 }), fc.anything()),
      type: fc.oneof(fc.constantFrom('order.created', 'a.b-c.d'), fc.string(), fc.anything()),
      version: fc.oneof(fc.constantFrom('1', '22'), fc.string(), fc.integer()),
      timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()), fc.string(), fc.anything()),
      source: fc.oneof(fc.string(), fc.anything()),
      correlationId: fc.oneof(fc.string(), fc.anything()),
      data: fc.anything(),
    }, { requiredKeys: [] });
    const input = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.json(),
      almostValid,
      almostValid.map((candidate) => JSON.stringify(candidate) ?? ''),
    );
    fc.assert(fc.property(input, (value) => {
      try {
        const envelope = parseEnvelope(value);
        // Whatever it accepts must satisfy the rules, and round-trip through createEnvelope.
        expect(createEnvelope(envelope)).toEqual(envelope);
      } catch (err) {
        expect(err).toBeInstanceOf(PoisonMessageError);
      }
    }), { numRuns: 2000 });
  });

  test('property: every envelope createEnvelope builds survives JSON and parseEnvelope unchanged', () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    fc.assert(fc.property(
      fc.tuple(segment, segment),
      fc.stringMatching(/^[0-9]{1,3}$/),
      fc.string({ minLength: 1 }),
      fc.option(fc.string(), { nil: undefined }),
      fc.jsonValue(),
      ([noun, verb], version, source, correlationId, data) => {
        const envelope = createEnvelope({ type: `${noun}.${verb}`, version, source, correlationId, data });
        expect(parseEnvelope(JSON.stringify(envelope))).toEqual(JSON.parse(JSON.stringify(envelope)));
      },
    ), { numRuns: 500 });
  });
});

describe('createEnvelope', () => {
  test('fills id, version, timestamp; refuses what parseEnvelope would reject', () => {
    const envelope = createEnvelope({ type: 'order.created', data: { orderId: 'o-1' }, source: 'order-service' });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(envelope.version).toBe('1');
    expect(Date.parse(envelope.timestamp)).not.toBeNaN();
    expect(envelope).not.toHaveProperty('correlationId');
    expect(() => createEnvelope({ type: 'order.created', data: {}, source: '' })).toThrow(/createEnvelope: source must be a non-empty string/);
    expect(() => createEnvelope({ type: 'order.created', data: {}, source: 's', id: 'x'.repeat(129) })).toThrow(/createEnvelope: id must be/);
  });
});

describe('payloadHash', () => {
  test('ignores key order, id and timestamp; changes with type, version or data', () => {
    const base = { type: 'order.created', version: '1', data: { a: 1, b: [1, { c: 2, d: 3 }] } };
    const hash = payloadHash(base);
    expect(payloadHash({ ...base, data: { b: [1, { d: 3, c: 2 }], a: 1 } })).toBe(hash);
    expect(payloadHash({ ...base, data: { a: 1, b: [{ c: 2, d: 3 }, 1] } })).not.toBe(hash);
    expect(payloadHash({ ...base, version: '2' })).not.toBe(hash);
    expect(payloadHash({ ...base, type: 'order.cancelled' })).not.toBe(hash);
    expect(payloadHash({ ...base, data: { a: '1', b: [1, { c: 2, d: 3 }] } })).not.toBe(hash);
  });
});
