/**
 * The configuration of every AWS client the runtime makes itself. Without timeouts a request to
 * an endpoint that accepts the connection and never answers waits until Lambda kills the
 * invocation; with them it fails like any other request (retried by the SDK, then handled as an
 * unknown outcome). The SDK only logs a request timeout unless told to throw. `cacheMiddleware`
 * saves resolving the middleware stack on every send (most of the per-record CPU otherwise).
 */
export function defaultClientConfig(options: { readonly timeoutMs?: number; readonly extraRequestMs?: number; readonly maxAttempts?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  return {
    cacheMiddleware: true,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs + (options.extraRequestMs ?? 0), throwOnRequestTimeout: true },
  };
}

/** Connection and request timeout of the runtime's own clients, in milliseconds. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;
