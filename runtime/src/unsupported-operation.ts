/**
 * Error names with which SQS-compatible endpoints turn down an action they do not implement.
 * fauxqs and ElasticMQ answer `InvalidAction`; others use the generic AWS names.
 */
const UNSUPPORTED_ERROR_NAMES = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'NotImplemented']);

/**
 * True when an endpoint does not implement the action at all — the signal to use a fallback.
 * Anything else (access denied, throttling, a missing queue) is a real failure and must surface.
 */
export function isUnsupportedOperation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return (typeof name === 'string' && UNSUPPORTED_ERROR_NAMES.has(name)) || $metadata?.httpStatusCode === 501;
}
