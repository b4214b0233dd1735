/*
 * The constructs set what the runtime reads (environment variables, attributes, key format, tags).
 * jsii keeps the construct library from importing the runtime, so each side has its own copy of
 * these names: they must stay equal.
 */
import * as runtimeNames from '../../runtime/src/names';
import * as libNames from '../../lib/private/names';

/** Every exported name with a comparable value (patterns by their source). */
function comparable(names: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(names).map(([name, value]) => [name, value instanceof RegExp ? `/${value.source}/${value.flags}` : String(value)]));
}

test('lib/private/names.ts and the runtime export the same names with the same values', () => {
  const runtime = comparable(runtimeNames);
  expect(Object.keys(runtime).length).toBeGreaterThan(10);
  expect(comparable(libNames)).toEqual(runtime);
});
