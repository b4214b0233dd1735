/*
 * Where a record's fenced completion and release, and a claim-free commit, go: at once, one
 * request each (per-record mode), or into the batch's shared requests (batched mode):
 * BatchExecuteStatements of up to 25 fenced writes, and TransactWriteItems of several commits.
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { BatchRequests } from './batch-requests.js';
import { chunksOf, COMPLETION_HOLD_MS, isFlushDue, MAX_BATCH_STATEMENTS, type CompletionRefusal } from './decide.js';
import { MAX_TRANSACT_ITEMS, type Claim, type CommitRequest, type FencedWrite, type IdempotencyStore } from './idempotency-store.js';
import type { Logger } from './logger.js';

export interface FencedWrites {
  /** True when a completion waits for a shared request: the record's lane goes on meanwhile. */
  readonly batched: boolean;
  /**
   * Marks a claim COMPLETED (fenced): resolves to undefined when applied, to the refusal when the
   * fence refused it; rejects when the outcome is unknown (it may have been applied). `dueAtMs`
   * is when it must be sent at the latest.
   */
  complete(claim: Claim, expiresAtSeconds: number, dueAtMs: number): Promise<CompletionRefusal | undefined>;
  /** Deletes a claim still IN_PROGRESS under our token. Never rejects: a claim not released expires with its lock. */
  release(claim: Claim, log: Logger): Promise<void>;
  /**
   * A claim-free commit: the COMPLETED record with the handler's writes, all applied or none.
   * Resolves and rejects like `IdempotencyStore.commit`. `awaited`: the record's lane waits for
   * the answer, so a batch whose every running record waits sends what is queued at once.
   */
  commit(request: CommitRequest, items: readonly TransactWriteItem[], awaited: boolean): Promise<CompletionRefusal | undefined>;
  /** Resolves when a record may start: while a request's worth of completions is unwritten, none does. */
  room(): Promise<void>;
  /** Runs one record's processing; while none runs, what is queued is sent. */
  running<T>(work: () => Promise<T>): Promise<T>;
  /** Sends what is queued now. */
  flush(): void;
  /** Sends what is queued and waits until every write has its answer. */
  drain(): Promise<void>;
}

/** One request per write, awaited by the record: the per-record mode (and, without a store, nothing to write). */
export class ImmediateWrites implements FencedWrites {
  readonly batched = false;

  constructor(private readonly store: IdempotencyStore | undefined) {}

  async complete(claim: Claim, expiresAtSeconds: number): Promise<CompletionRefusal | undefined> {
    return this.store?.complete(claim, expiresAtSeconds);
  }

  async release(claim: Claim, log: Logger): Promise<void> {
    try {
      await this.store?.release(claim);
    } catch (error) {
      releaseFailed(log, error);
    }
  }

  commit(request: CommitRequest, items: readonly TransactWriteItem[]): Promise<CompletionRefusal | undefined> {
    return this.store!.commit(request, items);
  }

  room(): Promise<void> {
    return Promise.resolve();
  }

  running<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  flush(): void {}

  drain(): Promise<void> {
    return Promise.resolve();
  }
}

type Answer = { readonly refusal?: CompletionRefusal } | { readonly error: unknown };

/** A write waiting for its request, and what to do with the answer. */
interface Queued {
  readonly write: FencedWrite;
  settle(answer: Answer): void;
}

/** A claim-free commit waiting for its transaction. */
interface QueuedCommit {
  readonly request: CommitRequest;
  readonly items: readonly TransactWriteItem[];
  settle(answer: Answer): void;
}

/**
 * One invocation's fenced writes, sent together in requests of up to 25: when 25 are queued; when
 * no record of the batch is running or waiting to start; when a completion has waited
 * COMPLETION_HOLD_MS (unless records wait for a request in flight: they fill the next one); when
 * a completion is due (completionDueAtMs); when the time guard stops starting records (flush);
 * and at the end (drain). No record starts while 25 completions are unwritten, so a crash leaves
 * at most 24 + maxConcurrency effects unmarked. A chunk of one goes as the single-item request; a
 * statement that failed on its own (throttled, an internal error) is sent again alone, with the
 * SDK's retries; a whole request that fails leaves its completions' outcomes unknown.
 *
 * Claim-free commits are grouped on the same triggers into TransactWriteItems of up to
 * MAX_TRANSACT_ITEMS items (nothing of a commit is applied before its transaction, so holding it
 * repeats no effect after a crash). A cancelled group is split by its cancellation reasons: the
 * refused commits get their refusal, the others go again in a group of their own; a group
 * DynamoDB refuses as a whole (two writes to one item, too large) goes again one commit at a time.
 */
export class BatchedWrites implements FencedWrites {
  readonly batched = true;
  private queue: Queued[] = [];
  private commits: QueuedCommit[] = [];
  private commitItems = 0;
  /** Records running that wait for their own commit's answer. */
  private awaitingCommit = 0;
  private readonly sending = new Set<Promise<void>>();
  private unwrittenCompletions = 0;
  private active = 0;
  private waiting: (() => void)[] = [];
  /** Sends the queue at the earliest due time of its completions. */
  private readonly due = new Deadline(() => this.flush());
  /** Sends the queue once its first completion has waited the hold, unless records wait for a request in flight. */
  private readonly hold = new Deadline(() => {
    if (this.waiting.length === 0) this.flush();
  });

  constructor(private readonly store: IdempotencyStore, private readonly batching: BatchRequests, private readonly log: Logger) {}

  complete(claim: Claim, expiresAtSeconds: number, dueAtMs: number): Promise<CompletionRefusal | undefined> {
    this.unwrittenCompletions++;
    // Timers first: a queue that reaches 25 with this one is sent at once, and sending clears them.
    this.due.atMost(dueAtMs);
    this.hold.atMost(Date.now() + COMPLETION_HOLD_MS);
    return new Promise((resolve, reject) => {
      this.enqueue({
        write: { kind: 'complete', claim, expiresAtSeconds },
        settle: (answer) => {
          this.unwrittenCompletions--;
          this.wake();
          if ('error' in answer) reject(answer.error);
          else resolve(answer.refusal);
        },
      });
    });
  }

  release(claim: Claim, log: Logger): Promise<void> {
    // Nothing waits for a release: the record has failed either way. Sent with the next request, or at the end.
    this.enqueue({
      write: { kind: 'release', claim },
      settle: (answer) => {
        if ('error' in answer) releaseFailed(log, answer.error);
      },
    });
    return Promise.resolve();
  }

  commit(request: CommitRequest, items: readonly TransactWriteItem[], awaited: boolean): Promise<CompletionRefusal | undefined> {
    if (awaited) this.awaitingCommit++;
    this.hold.atMost(Date.now() + COMPLETION_HOLD_MS);
    return new Promise((resolve, reject) => {
      const entry: QueuedCommit = {
        request,
        items,
        settle: (answer) => {
          if (awaited) this.awaitingCommit--;
          if ('error' in answer) reject(answer.error);
          else resolve(answer.refusal);
        },
      };
      if (this.commitItems + 1 + items.length > MAX_TRANSACT_ITEMS) this.sendCommits();
      this.commits.push(entry);
      this.commitItems += 1 + items.length;
      if (this.commitItems >= MAX_TRANSACT_ITEMS) this.flush();
      else this.flushIfIdleSoon();
    });
  }

  async room(): Promise<void> {
    // 25 unwritten means a request is in flight (25 queued are sent at once): its answer makes room.
    while (this.unwrittenCompletions >= MAX_BATCH_STATEMENTS) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  async running<T>(work: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.flushIfIdleSoon();
    }
  }

  flush(): void {
    this.due.clear();
    this.hold.clear();
    const queued = this.queue;
    this.queue = [];
    for (const chunk of chunksOf(queued, MAX_BATCH_STATEMENTS, (entry) => entry.write.claim.key)) {
      this.track(this.send(chunk));
    }
    this.sendCommits();
  }

  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.commits.length > 0 || this.sending.size > 0) {
      this.flush();
      await Promise.all([...this.sending]);
    }
  }

  private track(work: Promise<void>): void {
    const sending: Promise<void> = work.finally(() => this.sending.delete(sending));
    this.sending.add(sending);
  }

  private sendCommits(): void {
    const group = this.commits;
    this.commits = [];
    this.commitItems = 0;
    if (group.length > 0) this.track(this.sendGroup(group));
  }

  private async sendGroup(group: readonly QueuedCommit[]): Promise<void> {
    if (group.length === 1) return this.commitAlone(group[0]);
    let answers;
    try {
      answers = await this.store.commitGroup(group);
    } catch (error) {
      if (isValidationError(error)) {
        await Promise.all(group.map((entry) => this.commitAlone(entry)));
        return;
      }
      for (const entry of group) entry.settle({ error });
      return;
    }
    const innocent = group.filter((entry, index) => {
      const answer = answers[index];
      if (answer.kind === 'applied') entry.settle({});
      else if (answer.kind === 'refused') entry.settle({ refusal: answer.refusal });
      return answer.kind === 'innocent';
    });
    // A cancelled group always names at least one culprit; should it name none, each goes alone.
    if (innocent.length === group.length) await Promise.all(innocent.map((entry) => this.commitAlone(entry)));
    else if (innocent.length > 0) await this.sendGroup(innocent);
  }

  private async commitAlone(entry: QueuedCommit): Promise<void> {
    try {
      entry.settle({ refusal: await this.store.commit(entry.request, entry.items) });
    } catch (error) {
      entry.settle({ error });
    }
  }

  private enqueue(entry: Queued): void {
    this.queue.push(entry);
    if (this.queue.length >= MAX_BATCH_STATEMENTS) this.flush();
    else this.flushIfIdleSoon();
  }

  /**
   * After the current turn of the event loop: a worker whose record just ended starts its next
   * one first (in the same turn), so only a batch with nothing left to run sends early.
   */
  private flushIfIdleSoon(): void {
    if (this.active > this.awaitingCommit) return;
    setImmediate(() => {
      if (isFlushDue(this.queue.length + this.commits.length, this.active - this.awaitingCommit + this.waiting.length)) this.flush();
    });
  }

  private async send(chunk: readonly Queued[]): Promise<void> {
    if (chunk.length === 1 || !this.batching.allowed) {
      await Promise.all(chunk.map((entry) => this.sendAlone(entry)));
      return;
    }
    let answers;
    try {
      answers = await this.store.writeFenced(chunk.map((entry) => entry.write));
    } catch (error) {
      if (this.batching.refusedByPolicy(error, this.log)) {
        await Promise.all(chunk.map((entry) => this.sendAlone(entry)));
        return;
      }
      for (const entry of chunk) entry.settle({ error });
      return;
    }
    await Promise.all(chunk.map(async (entry, index) => {
      const answer = answers[index];
      if (answer.kind === 'applied') entry.settle({});
      else if (answer.kind === 'refused') entry.settle({ refusal: { fenceFailed: true, record: answer.record, error: answer.error } });
      else await this.sendAlone(entry);
    }));
  }

  private async sendAlone(entry: Queued): Promise<void> {
    const { write } = entry;
    try {
      if (write.kind === 'complete') {
        entry.settle({ refusal: await this.store.complete(write.claim, write.expiresAtSeconds) });
      } else {
        await this.store.release(write.claim);
        entry.settle({});
      }
    } catch (error) {
      entry.settle({ error });
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
    // A hold that fired while records waited applies again from now.
    if (this.queue.length > 0) this.hold.atMost(Date.now() + COMPLETION_HOLD_MS);
  }
}

/** A timer for the earliest of several deadlines. */
class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private atMs = Number.POSITIVE_INFINITY;

  constructor(private readonly fire: () => void) {}

  /** Fires no later than `atMs` (never, for Infinity). */
  atMost(atMs: number): void {
    if (atMs >= this.atMs || atMs === Number.POSITIVE_INFINITY) return;
    clearTimeout(this.timer);
    this.atMs = atMs;
    this.timer = setTimeout(() => {
      this.clear();
      this.fire();
    }, Math.max(0, atMs - Date.now()));
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.atMs = Number.POSITIVE_INFINITY;
  }
}

/** DynamoDB refused the request as a whole, before applying anything (e.g. two writes to one item in a transaction). */
function isValidationError(error: unknown): boolean {
  return (error as { name?: unknown })?.name === 'ValidationException';
}

function releaseFailed(log: Logger, error: unknown): void {
  // Harmless beyond a delay: the lock is bounded, a retry can claim once it ends.
  log.warn('could not release the idempotency claim; it expires with its lock', { error });
}
