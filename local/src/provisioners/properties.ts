import { resolveString, type ReferenceResolver } from '../intrinsics';

/** A CloudFormation boolean property: templates write `true` or `'true'`. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** The properties among `keys` that the template sets, each resolved to a string (as an SDK attribute map takes them). */
export function stringProperties(props: Record<string, unknown>, keys: readonly string[], ref: ReferenceResolver): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const key of keys) {
    if (props[key] !== undefined) {
      strings[key] = resolveString(props[key], ref);
    }
  }
  return strings;
}

/** The logical id a property names with `{ Ref }`, if it is written so. */
export function refTarget(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  return ref === undefined ? undefined : String(ref);
}
