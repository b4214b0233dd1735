import { ListMessageMoveTasksCommand, type ListMessageMoveTasksResultEntry, type SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { sleep } from './sleep.js';

/** How a message move task ended, as far as the caller waited for it. */
export interface MoveTaskOutcome {
  readonly taskHandle: string;
  /** `RUNNING` when not waited for; else how it ended: `COMPLETED`, `CANCELLED` or `FAILED`. */
  readonly status: string;
  /** SQS's approximate count of messages moved. */
  readonly moved: number;
  /** SQS's approximate count of messages the task set out to move, when it says. */
  readonly toMove?: number;
  /** Why a FAILED task failed, when SQS says. */
  readonly failureReason?: string;
}

/** The task to start and how to follow it (see `RedriveOptions` for the meaning of each). */
export interface MoveTaskRequest {
  /** ARN of the dead-letter queue. */
  readonly sourceArn: string;
  /**
   * ARN of the queue the messages go to. Always given: without it SQS returns each message to the
   * queue it was dead-lettered from, which a message sent to the DLQ directly (poison rejected by
   * the runtime, an SNS delivery failure) does not have.
   */
  readonly destinationArn: string;
  /** @default SQS's own rate */
  readonly maxMessagesPerSecond?: number;
  /** Poll until the task is no longer running. */
  readonly wait: boolean;
  readonly pollIntervalMs: number;
  /** Called after each poll with SQS's approximate counts. @default none */
  readonly onProgress?: (moved: number, total: number | undefined) => void;
}

/**
 * Starts an SQS message move task (the server does the moving, standard queues) and, if asked,
 * polls ListMessageMoveTasks until it is no longer running; the caller decides what an end other
 * than COMPLETED means. Errors from StartMessageMoveTask propagate unchanged so the caller can
 * tell "unsupported here" from a real failure.
 */
export async function runMessageMoveTask(client: SQSClient, request: MoveTaskRequest): Promise<MoveTaskOutcome> {
  const started = await client.send(new StartMessageMoveTaskCommand({
    SourceArn: request.sourceArn,
    DestinationArn: request.destinationArn,
    ...(request.maxMessagesPerSecond ? { MaxNumberOfMessagesPerSecond: request.maxMessagesPerSecond } : {}),
  }));
  const taskHandle = started.TaskHandle ?? '';
  if (!request.wait) return { taskHandle, status: 'RUNNING', moved: 0 };
  for (;;) {
    await sleep(request.pollIntervalMs);
    const listed = await client.send(new ListMessageMoveTasksCommand({ SourceArn: request.sourceArn, MaxResults: 10 }));
    const task = findTask(listed.Results ?? [], taskHandle);
    if (!task) throw new Error(`message move task ${taskHandle} is not listed for ${request.sourceArn}`);
    const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
    const toMove = task.ApproximateNumberOfMessagesToMove;
    request.onProgress?.(moved, toMove);
    if (task.Status !== 'RUNNING') {
      return { taskHandle, status: task.Status ?? 'UNKNOWN', moved, ...(toMove === undefined ? {} : { toMove }), ...(task.FailureReason ? { failureReason: task.FailureReason } : {}) };
    }
  }
}

/**
 * Our task among the listed ones. SQS lists the handle only while a task runs; a finished one is
 * recognised as the newest task of the source, since SQS allows one active task per source.
 */
export function findTask(results: readonly ListMessageMoveTasksResultEntry[], taskHandle: string): ListMessageMoveTasksResultEntry | undefined {
  const running = results.find((task) => task.TaskHandle === taskHandle);
  if (running) return running;
  return [...results].sort((a, b) => (b.StartedTimestamp ?? 0) - (a.StartedTimestamp ?? 0))[0];
}
