/** Resolves or rejects as `promise` does, or rejects with `what did not finish within N ms` first. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A wait that ran out; the operation it waited for may still complete. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}
