/*
 * The publishers' attempt budget: every HTTP request an AWS SDK client (SNS, SQS, Kinesis) makes
 * for a publish counts, the client's own retries included, and none is made once the budget is
 * spent. A middleware on the client (installed once per client) reads the budget from the command
 * it sends. Also how a failed call or entry is classified: retryable, or the sender's fault.
 */

/** What the budget needs of a client: any AWS SDK v3 client. */
interface BudgetClient {
  readonly middlewareStack: unknown;
  readonly config: unknown;
  send(command: never, options?: never): Promise<unknown>;
}

/** How many requests one publish may still make, and how many it made. */
export interface AttemptBudget {
  /** Requests this send may make. */
  readonly limit: number;
  /** Requests it made (each SDK retry counts). */
  used: number;
  /** The error of the last request, when it failed. */
  lastError?: unknown;
}

const BUDGET = Symbol.for('@cdk-fanout/runtime/publisher.attemptBudget');
const MIDDLEWARE_NAME = 'fanoutPublisherAttemptBudget';

/** Thrown by the middleware instead of a request over budget; the SDK does not retry it (a client error without a retryable trait). */
class AttemptBudgetSpent extends Error {
  constructor() {
    super('the publisher\'s attempt budget is spent');
    this.name = 'AttemptBudgetSpent';
  }
}

/** Clients with the middleware, and whether their cached handlers were dropped since. */
const instrumented = new WeakMap<object, { handlersRefreshed: boolean }>();

type Stack = {
  add(middleware: unknown, options: Record<string, unknown>): void;
  identify(): string[];
};

/**
 * Installs the budget middleware on `client` once. It sits in the finalizeRequest step at high
 * priority, inside the SDK's retry middleware: it runs once per HTTP attempt.
 */
export function installAttemptBudget(client: BudgetClient): void {
  if (instrumented.has(client)) return;
  const stack = client.middlewareStack as unknown as Stack;
  if (!stack.identify().some((entry) => entry.startsWith(`${MIDDLEWARE_NAME} `))) {
    stack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: Record<symbol, unknown>) => {
        const budget = args[BUDGET] as AttemptBudget | undefined;
        if (!budget) return next(args);
        if (budget.used >= budget.limit) throw new AttemptBudgetSpent();
        budget.used++;
        try {
          return await next(args);
        } catch (err) {
          budget.lastError = err;
          throw err;
        }
      },
      { step: 'finalizeRequest', priority: 'high', name: MIDDLEWARE_NAME },
    );
  }
  // A client made with `cacheMiddleware: true` may hold handlers resolved before the middleware
  // existed: the first send passes options, which makes the SDK drop them.
  instrumented.set(client, { handlersRefreshed: (client.config as { cacheMiddleware?: boolean }).cacheMiddleware !== true });
}

/**
 * Sends `command` within `budget`. Rejects with the error of the last request when the SDK
 * would have retried beyond the budget.
 */
export async function sendWithinBudget<Output>(client: BudgetClient, command: object, budget: AttemptBudget): Promise<Output> {
  (command as Record<symbol, unknown>)[BUDGET] = budget;
  const state = instrumented.get(client);
  const refresh = state !== undefined && !state.handlersRefreshed;
  if (state) state.handlersRefreshed = true;
  const send = client.send.bind(client) as (command: object, options?: object) => Promise<Output>;
  try {
    return await (refresh ? send(command, {}) : send(command));
  } catch (err) {
    throw err instanceof AttemptBudgetSpent && budget.lastError !== undefined ? budget.lastError : err;
  }
}

/** SNS error codes no retry can fix (the SDK names their exceptions with an `Exception` suffix). */
export const NON_RETRYABLE_CODES: ReadonlySet<string> = new Set(['NotFound', 'AuthorizationError', 'InvalidParameter', 'InvalidParameterValue']);

const THROTTLING_NAMES = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException',
  'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException', 'SlowDown', 'BandwidthLimitExceeded',
  // Kinesis (and the SDK's own list of throttling codes).
  'ProvisionedThroughputExceededException', 'KMSThrottlingException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** How one publish (or one entry of it) failed, as `publishBatch` reports it. */
export interface PublishFailure {
  readonly code: string;
  readonly message: string;
  /** SNS blamed the request (or the code is one of the non-retryable ones): not retried. */
  readonly senderFault: boolean;
  readonly retryable: boolean;
}

/** An entry the service listed as failed (SNS and SQS say whether it was the sender's fault; Kinesis does not). */
export function entryFailure(code: string | undefined, message: string | undefined, senderFault: boolean | undefined, nonRetryable: ReadonlySet<string> = NON_RETRYABLE_CODES): PublishFailure {
  const fault = senderFault === true || nonRetryable.has(code ?? '');
  return { code: code ?? 'Unknown', message: message ?? '', senderFault: fault, retryable: !fault };
}

/**
 * An error thrown by a whole call. Retryable as the SDK's standard retry strategy sees it
 * (throttling, timeouts, connection errors, 5xx); `nonRetryable` (SNS's codes above unless given)
 * and any other client fault are the sender's.
 */
export function callFailure(err: unknown, nonRetryable: ReadonlySet<string> = NON_RETRYABLE_CODES): PublishFailure {
  const error = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown; message?: unknown; Code?: unknown; code?: unknown; $fault?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown };
  };
  const name = typeof error.name === 'string' ? error.name : 'Error';
  // A network error is a plain Error whose `code` says what happened (ECONNRESET...).
  const code = typeof error.Code === 'string' ? error.Code : name === 'Error' && typeof error.code === 'string' ? error.code : name;
  const message = typeof error.message === 'string' ? error.message : String(err);
  const status = typeof error.$metadata?.httpStatusCode === 'number' ? error.$metadata.httpStatusCode : 0;
  if (nonRetryable.has(code) || nonRetryable.has(name) || nonRetryable.has(name.replace(/Exception$/, ''))) {
    return { code, message, senderFault: true, retryable: false };
  }
  const retryable = error.$retryable !== undefined
    || THROTTLING_NAMES.has(name) || status === 429
    || TRANSIENT_NAMES.has(name) || (typeof error.code === 'string' && TRANSIENT_CODES.has(error.code))
    || status >= 500 || error.$fault === 'server';
  return { code, message, senderFault: !retryable && error.$fault === 'client', retryable };
}
