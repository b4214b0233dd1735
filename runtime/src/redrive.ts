import { SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterSourceQueues, pickSourceQueue } from './dead-letter-source.js';
import { runMessageMoveTask } from './message-move-task.js';
import { queueFacts, type QueueFacts } from './queue-facts.js';
import { copyMessages } from './redrive-copy.js';
import { isUnsupportedOperation } from './unsupported-operation.js';
import { defaultClientConfig } from './client-config.js';

/**
 * How messages are moved: by SQS itself (`StartMessageMoveTask`, standard queues), or by this
 * library receiving, sending and deleting them one by one (FIFO queues, a message limit,
 * endpoints without message move tasks, or when asked for).
 */
export type RedriveMethod = 'message-move-task' | 'receive-send-delete';

/** SQS's range for `MaxNumberOfMessagesPerSecond` of a message move task. */
export const MAX_MESSAGES_PER_SECOND = 500;

/** `RedriveOptions.timeoutSeconds` by default. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface RedriveOptions {
  /** URL of the dead-letter queue to move messages out of. */
  readonly queueUrl: string;
  /**
   * URL of the queue to move the messages to; never the dead-letter queue itself. A message move
   * task is always given its destination: a message sent to the DLQ directly (poison rejected by
   * the runtime, an SNS delivery failure) has no source queue SQS could return it to.
   * @default the dead-letter queue's source: the one queue whose redrive policy names it
   *   (ListDeadLetterSourceQueues; an error if there is none or more than one)
   */
  readonly destinationQueueUrl?: string;
  /**
   * Force a method: `receive-send-delete` moves message by message even where a message move task
   * would do (e.g. to finish what a cancelled or failed task left); `message-move-task` is
   * refused for a FIFO queue or with `maxMessages`.
   * @default a message move task for a standard queue, else message by message (see `chooseMethod`)
   */
  readonly method?: RedriveMethod;
  /**
   * Move at most this many messages (a positive integer). A message move task cannot be limited,
   * so a limit means moving message by message.
   * @default every message in the queue
   */
  readonly maxMessages?: number;
  /**
   * Report what would be done (method, destination, approximate count) and change nothing: no
   * message is received, sent or deleted and no task is started.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * At most this many messages per second, an integer from 1 to 500 (SQS's range for message
   * move tasks; applied by pacing when moving message by message).
   * @default no limit (SQS's own rate for a message move task)
   */
  readonly maxMessagesPerSecond?: number;
  /**
   * The SQS client; inject one for other credentials, an endpoint, or tests.
   * @default a client for the current region with `cacheMiddleware: true` and timeouts
   *   (`timeoutSeconds`), destroyed at the end
   */
  readonly client?: SQSClient;
  /**
   * The default client's timeouts, in seconds: to connect, and for an answer (a receive gets its
   * long-poll wait on top). A request that times out is retried as the SDK retries, then fails
   * with a `TimeoutError`. Ignored with `client`: give yours a `requestHandler` with timeouts.
   * @default 30
   */
  readonly timeoutSeconds?: number;
  /** Called as messages move, for a progress display. @default none */
  readonly onProgress?: (progress: RedriveProgress) => void;
  /**
   * With a message move task: wait until it has finished (polling ListMessageMoveTasks) instead
   * of returning once it has started.
   * @default true
   */
  readonly waitForMoveTask?: boolean;
  /**
   * With a message move task: milliseconds between two ListMessageMoveTasks calls.
   * @default 2000
   */
  readonly pollIntervalMs?: number;
  /**
   * Moving message by message: seconds a received message stays hidden from other readers of
   * the DLQ while it is sent and deleted. A message the run does not finish (a crash) becomes
   * visible again after this and is moved by the next run.
   * @default 60
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Moving message by message: long-poll wait of each receive, in seconds (0..20); the run ends
   * at the first receive that returns nothing. Long polling asks every SQS server, so a short
   * empty answer does not end the run while messages remain.
   * @default 1
   */
  readonly waitTimeSeconds?: number;
}

/** Progress of a redrive: messages moved so far, out of an approximate total when known. */
export interface RedriveProgress {
  readonly moved: number;
  readonly total?: number;
}

export interface RedriveResult {
  readonly method: RedriveMethod;
  /** Why messages were moved one by one; absent for a message move task. */
  readonly reason?: string;
  readonly dryRun: boolean;
  /** Messages moved (approximate for a message move task; 0 for a dry run). */
  readonly moved: number;
  /** SQS's approximate number of visible messages in the dead-letter queue at the start. */
  readonly approximateMessages: number;
  /** URL of the destination queue. */
  readonly destinationQueueUrl: string;
  /** The message move task's handle (to cancel it with CancelMessageMoveTask), when one was started. */
  readonly taskHandle?: string;
  /** The message move task's last status: RUNNING (not waited for) or COMPLETED (else `MoveTaskEndedError`). */
  readonly taskStatus?: string;
}

/**
 * A message move task that ended without moving everything: `FAILED`, or `CANCELLED`
 * (CancelMessageMoveTask, the console). Nothing was lost: the messages not moved are still in the
 * dead-letter queue.
 */
export class MoveTaskEndedError extends Error {
  override readonly name = 'MoveTaskEndedError';
  /** What happened, without the advice: `message move task CANCELLED after moving ~120 message(s); ~880 remain in <url>`. */
  readonly summary: string;

  constructor(
    readonly queueUrl: string,
    readonly destinationQueueUrl: string,
    readonly taskHandle: string,
    /** `FAILED` or `CANCELLED`. */
    readonly taskStatus: string,
    /** SQS's approximate count of messages moved. */
    readonly moved: number,
    /** Approximately how many messages the task left in the dead-letter queue. */
    readonly remaining: number,
    readonly failureReason?: string,
  ) {
    const summary = `message move task ${taskStatus}${failureReason ? ` (${failureReason})` : ''} after moving ~${moved} message(s); ~${remaining} remain in ${queueUrl}`;
    super(`${summary}. Nothing was lost: redrive again, or with method 'receive-send-delete' to move them message by message`);
    this.summary = summary;
  }
}

/**
 * Moves messages from a dead-letter queue back to their source queue (or another queue). Never
 * deletes a message before it is in the destination, so a run that stops part-way loses
 * nothing: run it again. See `RedriveMethod` for how it chooses to move them.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  checkOptions(options);
  const client = options.client ?? new SQSClient(redriveClientConfig(options));
  try {
    return await redriveWith(client, options);
  } finally {
    if (!options.client) client.destroy();
  }
}

async function redriveWith(client: SQSClient, options: RedriveOptions): Promise<RedriveResult> {
  const dlq = await queueFacts(client, options.queueUrl);
  let { method, reason } = chooseMethod(dlq, options);
  const destination = await queueFacts(client, options.destinationQueueUrl
    ?? pickSourceQueue(dlq.url, await deadLetterSourceQueues(client, dlq.url, dlq.arn)));
  checkDestination(dlq, destination);
  const destinationQueueUrl = destination.url;
  const total = options.maxMessages === undefined ? dlq.approximateMessages : Math.min(options.maxMessages, dlq.approximateMessages);
  const report = (moved: number, reported = total) => options.onProgress?.({ moved, total: reported });
  const summary = { dryRun: options.dryRun ?? false, approximateMessages: dlq.approximateMessages };

  if (method === 'message-move-task') {
    if (summary.dryRun) return { method, ...summary, moved: 0, destinationQueueUrl };
    try {
      const task = await runMessageMoveTask(client, {
        sourceArn: dlq.arn,
        destinationArn: destination.arn,
        maxMessagesPerSecond: options.maxMessagesPerSecond,
        wait: options.waitForMoveTask ?? true,
        pollIntervalMs: options.pollIntervalMs ?? 2000,
        onProgress: (moved, toMove) => report(moved, toMove ?? total),
      });
      if (task.status !== 'RUNNING' && task.status !== 'COMPLETED') {
        const remaining = Math.max(0, (task.toMove ?? dlq.approximateMessages) - task.moved);
        throw new MoveTaskEndedError(dlq.url, destinationQueueUrl, task.taskHandle, task.status, task.moved, remaining, task.failureReason);
      }
      return { method, ...summary, moved: task.moved, destinationQueueUrl, taskHandle: task.taskHandle, taskStatus: task.status };
    } catch (error) {
      if (!isUnsupportedOperation(error)) throw error;
      method = 'receive-send-delete';
      reason = `this endpoint does not support StartMessageMoveTask (${(error as Error).name})`;
    }
  }

  if (summary.dryRun) return { method, reason, ...summary, moved: 0, destinationQueueUrl };
  const moved = await copyMessages(client, {
    deadLetterQueueUrl: dlq.url,
    destinationUrl: destinationQueueUrl,
    maxMessages: options.maxMessages,
    maxMessagesPerSecond: options.maxMessagesPerSecond,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 60,
    waitTimeSeconds: options.waitTimeSeconds ?? 1,
    onMoved: (count) => report(count),
  });
  return { method, reason, ...summary, moved, destinationQueueUrl };
}


/** The default client's configuration: the request timeout runs from the start of a request, so it also covers a receive's long poll. */
export function redriveClientConfig(options: Pick<RedriveOptions, 'timeoutSeconds' | 'waitTimeSeconds'>) {
  return defaultClientConfig({ timeoutMs: (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000, extraRequestMs: (options.waitTimeSeconds ?? 1) * 1000 });
}

/**
 * Picks the method for a dead-letter queue. FIFO queues move message by message: that keeps
 * each group's order under our control and works on every endpoint. A message limit does too,
 * since a message move task always moves everything; and so does asking for it.
 */
export function chooseMethod(dlq: Pick<QueueFacts, 'url' | 'fifo'>, options: Pick<RedriveOptions, 'maxMessages' | 'method'>): { method: RedriveMethod; reason?: string } {
  const byMessage = (reason: string) => {
    if (options.method === 'message-move-task') throw new Error(`redrive: a message move task cannot redrive ${dlq.url}: ${reason}`);
    return { method: 'receive-send-delete' as const, reason };
  };
  if (dlq.fifo) return byMessage('a FIFO queue is moved message by message to keep the order of each message group');
  if (options.maxMessages !== undefined) return byMessage('a message move task cannot be limited to a number of messages');
  if (options.method === 'receive-send-delete') return { method: 'receive-send-delete', reason: 'moving message by message was asked for' };
  return { method: 'message-move-task' };
}

/**
 * The destination is another queue (a DLQ redriven into itself moves its messages round and round
 * for ever) of the same type: a FIFO queue's messages need a FIFO destination (group ids), and a
 * standard queue's a standard one. Queues are compared by ARN: two URLs can name one queue.
 */
export function checkDestination(dlq: Pick<QueueFacts, 'url' | 'arn' | 'fifo'>, destination: Pick<QueueFacts, 'url' | 'arn' | 'fifo'>): void {
  if (destination.arn === dlq.arn) {
    throw new Error(`refusing to redrive ${dlq.url} into itself: give the queue its messages belong in as the destination`);
  }
  if (dlq.fifo !== destination.fifo) {
    const kind = (fifo: boolean) => (fifo ? 'a FIFO' : 'a standard');
    throw new Error(`${dlq.url} is ${kind(dlq.fifo)} queue but ${destination.url} is ${kind(destination.fifo)} queue; redrive to a queue of the same type`);
  }
}

function checkOptions(options: RedriveOptions): void {
  const { maxMessages, maxMessagesPerSecond, method, timeoutSeconds } = options;
  if (timeoutSeconds !== undefined && !(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
    throw new Error(`redrive: timeoutSeconds must be a positive number, got ${timeoutSeconds}`);
  }
  if (method !== undefined && method !== 'message-move-task' && method !== 'receive-send-delete') {
    throw new Error(`redrive: method must be 'message-move-task' or 'receive-send-delete', got ${String(method)}`);
  }
  if (maxMessages !== undefined && !(Number.isInteger(maxMessages) && maxMessages > 0)) {
    throw new Error(`redrive: maxMessages must be a positive integer, got ${maxMessages}`);
  }
  if (maxMessagesPerSecond !== undefined && !(Number.isInteger(maxMessagesPerSecond) && maxMessagesPerSecond >= 1 && maxMessagesPerSecond <= MAX_MESSAGES_PER_SECOND)) {
    throw new Error(`redrive: maxMessagesPerSecond must be an integer from 1 to ${MAX_MESSAGES_PER_SECOND}, got ${maxMessagesPerSecond}`);
  }
}
