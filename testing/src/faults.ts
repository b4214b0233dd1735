import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { uniqueName } from './aws';
import { seededRandom } from './fault-preload';

/** One attempt of a request, as the fault middleware sees it inside the SDK's retries. */
export interface Attempt {
  /** The command, e.g. `PutItemCommand`. */
  readonly command: string;
  /** 1 for the first try, 2 for the SDK's first retry, and so on. */
  readonly attempt: number;
  /** The command's input, as the caller gave it. */
  readonly input: Readonly<Record<string, unknown>>;
}

/** Decides, per attempt, whether a fault strikes it. */
export type FaultRule = (attempt: Attempt) => boolean;

/** How many faults a middleware injected, and into which attempts. */
export interface InjectedFaults {
  count(): number;
  /** How many attempts the rule was asked about (for lost responses: the successful ones). */
  considered(): number;
  readonly attempts: Attempt[];
}

/**
 * "The response was lost after the write was applied": the request reaches the emulator and is
 * applied; then, when `when` says so, the client gets a retryable 500 instead of the response, as
 * if the connection dropped on the way back. The SDK retries it like any 500. Only successful
 * responses are lost: a refused write was not applied.
 */
export function loseResponses(client: { middlewareStack: unknown }, when: FaultRule): InjectedFaults {
  const attempts: Attempt[] = [];
  let considered = 0;
  stackOf(client).add(
    (next, context) => async (args) => {
      const result = await next(args);
      const attempt = attemptOf(context.commandName as string, args);
      considered++;
      if (when(attempt)) {
        attempts.push(attempt);
        throw Object.assign(new Error(`injected: the response to ${attempt.command} (attempt ${attempt.attempt}) was lost after the write was applied`), {
          name: 'InternalServerError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
      }
      return result;
    },
    // Normal priority in finalizeRequest runs inside the SDK's retry middleware: once per attempt.
    { step: 'finalizeRequest', name: uniqueName('loseResponses') },
  );
  return { count: () => attempts.length, considered: () => considered, attempts };
}

/**
 * Throttling: when `when` says so, the attempt fails with a ThrottlingException before it
 * reaches the emulator (nothing applied), and the SDK retries it with its throttling backoff.
 */
export function throttleRequests(client: { middlewareStack: unknown }, when: FaultRule): InjectedFaults {
  const attempts: Attempt[] = [];
  let considered = 0;
  stackOf(client).add(
    (next, context) => async (args) => {
      const attempt = attemptOf(context.commandName as string, args);
      considered++;
      if (when(attempt)) {
        attempts.push(attempt);
        throw Object.assign(new Error(`injected: rate of requests exceeds the allowed throughput (${attempt.command}, attempt ${attempt.attempt})`), {
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          $retryable: { throttling: true },
        });
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: uniqueName('throttleRequests') },
  );
  return { count: () => attempts.length, considered: () => considered, attempts };
}

/** A rule that strikes `rate` of the attempts it is asked about, replayably: the same seed strikes the same attempts. */
export function seededChance(rate: number, seed: number): FaultRule {
  const random = seededRandom(seed);
  return () => random() < rate;
}

/** Random faults on one DynamoDB client: throttling (nothing applied) and responses lost after the write was applied. */
export interface DynamoDbFaults {
  readonly seed: number;
  /** Share of attempts throttled (0..1). */
  readonly throttleRate: number;
  /** Share of the remaining, successful attempts whose response is lost (0..1). */
  readonly lostResponseRate: number;
}

export function injectDynamoDbFaults(client: DynamoDBClient, faults: DynamoDbFaults): { readonly throttled: InjectedFaults; readonly lost: InjectedFaults } {
  // Two streams, so changing one rate does not move the other's faults.
  const throttled = throttleRequests(client, seededChance(faults.throttleRate, faults.seed));
  const lost = loseResponses(client, seededChance(faults.lostResponseRate, faults.seed ^ 0x5bd1e995));
  return { throttled, lost };
}

function attemptOf(command: string, args: { input: unknown; request?: unknown }): Attempt {
  const header = (args.request as { headers?: Record<string, string> } | undefined)?.headers?.['amz-sdk-request'] ?? '';
  return { command, attempt: Number(/attempt=(\d+)/.exec(header)?.[1] ?? 1), input: args.input as Record<string, unknown> };
}

/** Any SDK v3 client's middleware stack. */
function stackOf(client: { middlewareStack: unknown }): DynamoDBClient['middlewareStack'] {
  return client.middlewareStack as DynamoDBClient['middlewareStack'];
}
