/** The value `create` makes on the first call, reused after: a client made only when needed. */
export function lazy<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}
