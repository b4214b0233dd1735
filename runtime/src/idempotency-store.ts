import { randomUUID } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  BatchGetItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type BatchStatementRequest,
  type BatchStatementResponse,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE } from './names.js';
import type { ClaimTimes, CompletionRefusal, ExistingRecord, StoredRecord } from './decide.js';

/** DynamoDB's limit on the actions of one TransactWriteItems request. */
export const MAX_TRANSACT_ITEMS = 100;

export const STATUS_IN_PROGRESS = 'IN_PROGRESS';
export const STATUS_COMPLETED = 'COMPLETED';

/** A claim we hold: only the holder of this token may complete or release the record. */
export interface Claim {
  readonly key: string;
  readonly token: string;
}

export type ClaimResult =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly existing: ExistingRecord };

export interface ClaimRequest extends Claim {
  readonly payloadHash: string;
  readonly nowMs: number;
  readonly lockUntilMs: number;
  readonly expiresAtSeconds: number;
}

/** A claim-free commit: the COMPLETED record written with the handler's writes. The token identifies this commit (and is its ClientRequestToken). */
export interface CommitRequest extends Claim {
  readonly payloadHash: string;
  readonly nowMs: number;
  readonly expiresAtSeconds: number;
}

/** A fenced write of a claim we hold, as one statement of a batch. */
export type FencedWrite =
  | { readonly kind: 'complete'; readonly claim: Claim; readonly expiresAtSeconds: number }
  | { readonly kind: 'release'; readonly claim: Claim };

/**
 * One statement's answer in a BatchExecuteStatement: applied; refused by its condition
 * (`DuplicateItem` for an INSERT; `ConditionalCheckFailed` for a fenced write, with the record as
 * it stood); or failed for another reason (throttled, an internal error, access denied), which is
 * worth a try on its own.
 */
export type StatementAnswer =
  | { readonly kind: 'applied' }
  | { readonly kind: 'refused'; readonly record?: ExistingRecord; readonly error: Error }
  | { readonly kind: 'failed'; readonly error: Error };

/** What one statement of a batch said, as an Error for logs (its name is DynamoDB's code). */
export class StatementError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = code;
  }
}

// Attribute names behind placeholders (`status` is a reserved word); values are hand-marshalled: the raw client keeps the runtime small (no lib-dynamodb).
const NAMES = {
  '#pk': IDEMPOTENCY_PARTITION_KEY,
  '#expiresAt': IDEMPOTENCY_TTL_ATTRIBUTE,
  '#status': 'status',
  '#lockUntil': 'lockUntil',
  '#claimToken': 'claimToken',
  '#payloadHash': 'payloadHash',
};

function names(...placeholders: (keyof typeof NAMES)[]): Record<string, string> {
  return Object.fromEntries(placeholders.map((placeholder) => [placeholder, NAMES[placeholder]]));
}

const CLAIM_CONDITION = 'attribute_not_exists(#pk) OR #expiresAt < :now OR (#status = :inProgress AND #lockUntil < :nowMs)';
// Our token and still IN_PROGRESS: a record another invocation took over, or one already COMPLETED (perhaps by our own commit whose response was lost), is never changed.
const FENCE_CONDITION = '#claimToken = :token AND #status = :inProgress';

/**
 * The idempotency table. Each method is one request; the caller decides what a result means
 * (see decide.ts).
 */
export class IdempotencyStore {
  /** The table as PartiQL names it: quoted, since generated names hold dashes. */
  private readonly quotedTable: string;

  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {
    this.quotedTable = `"${tableName}"`;
  }

  /**
   * One conditional PutItem. When the condition fails the old item comes back with the error
   * (ReturnValuesOnConditionCheckFailure = ALL_OLD), so a duplicate costs this one request. The
   * caller picks the token, so it can recognise its own claim in that old item.
   */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [IDEMPOTENCY_PARTITION_KEY]: { S: request.key },
          status: { S: STATUS_IN_PROGRESS },
          [IDEMPOTENCY_TTL_ATTRIBUTE]: { N: String(request.expiresAtSeconds) },
          lockUntil: { N: String(request.lockUntilMs) },
          claimToken: { S: request.token },
          payloadHash: { S: request.payloadHash },
        },
        ConditionExpression: CLAIM_CONDITION,
        ExpressionAttributeNames: names('#pk', '#expiresAt', '#status', '#lockUntil'),
        ExpressionAttributeValues: {
          ':now': { N: String(Math.floor(request.nowMs / 1000)) },
          ':nowMs': { N: String(request.nowMs) },
          ':inProgress': { S: STATUS_IN_PROGRESS },
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { claimed: true };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      return { claimed: false, existing: existingRecord((err as { Item?: Record<string, AttributeValue> }).Item) };
    }
  }

  /** Moves the lock (and the TTL with it) of a claim we still hold; false when the fence refused: the claim is lost. */
  async extend(claim: Claim, times: ClaimTimes): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [IDEMPOTENCY_PARTITION_KEY]: { S: claim.key } },
        UpdateExpression: 'SET #lockUntil = :lockUntil, #expiresAt = :expiresAt',
        ConditionExpression: FENCE_CONDITION,
        ExpressionAttributeNames: names('#lockUntil', '#expiresAt', '#claimToken', '#status'),
        ExpressionAttributeValues: {
          ':lockUntil': { N: String(times.lockUntilMs) },
          ':expiresAt': { N: String(times.expiresAtSeconds) },
          ':token': { S: claim.token },
          ':inProgress': { S: STATUS_IN_PROGRESS },
        },
      }));
      return true;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      return false;
    }
  }

  /**
   * Marks the record COMPLETED, fenced by our claim token: if another invocation has taken the
   * claim over since, this is refused and leaves its record alone. With `items` the completion and
   * those writes commit in one TransactWriteItems, so the effect and "processed" happen together
   * or not at all. Resolves to undefined when applied, to the refusal when DynamoDB refused it
   * (decideRefusedCompletion says what that means); any other error leaves the outcome unknown
   * and is thrown.
   */
  async complete(claim: Claim, expiresAtSeconds: number, items: readonly TransactWriteItem[] = []): Promise<CompletionRefusal | undefined> {
    const update = {
      TableName: this.tableName,
      Key: { [IDEMPOTENCY_PARTITION_KEY]: { S: claim.key } },
      UpdateExpression: 'SET #status = :completed, #expiresAt = :expiresAt REMOVE #lockUntil',
      ConditionExpression: FENCE_CONDITION,
      ExpressionAttributeNames: names('#status', '#expiresAt', '#lockUntil', '#claimToken'),
      ExpressionAttributeValues: {
        ':completed': { S: STATUS_COMPLETED },
        ':expiresAt': { N: String(expiresAtSeconds) },
        ':token': { S: claim.token },
        ':inProgress': { S: STATUS_IN_PROGRESS },
      },
      // A refused fence shows whose record it is: our own earlier commit, or another invocation's.
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      if (items.length === 0) {
        await this.client.send(new UpdateItemCommand(update));
      } else {
        await this.client.send(new TransactWriteItemsCommand({
          TransactItems: [{ Update: update }, ...items],
          // One token per claim: DynamoDB answers an SDK retry of a committed transaction with success instead of applying it again (for 10 minutes).
          ClientRequestToken: claim.token,
        }));
      }
      return undefined;
    } catch (err) {
      return refusalOf(err);
    }
  }

  /**
   * Deletes our claim so the next delivery can claim afresh. Only while it is IN_PROGRESS: a
   * claim taken over by someone else, or a record already COMPLETED, is left alone.
   */
  async release(claim: Claim): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: { [IDEMPOTENCY_PARTITION_KEY]: { S: claim.key } },
        ConditionExpression: FENCE_CONDITION,
        ExpressionAttributeNames: names('#claimToken', '#status'),
        ExpressionAttributeValues: { ':token': { S: claim.token }, ':inProgress': { S: STATUS_IN_PROGRESS } },
      }));
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  /**
   * Claims up to 25 new ids in one BatchExecuteStatement of INSERTs, each on its own (not a
   * transaction). An INSERT of a key that exists is refused (`DuplicateItem`, without the record:
   * readRecords tells what it is). Answers in the order of `requests`.
   */
  async insertClaims(requests: readonly ClaimRequest[]): Promise<StatementAnswer[]> {
    const statement = `INSERT INTO ${this.quotedTable} VALUE {'${IDEMPOTENCY_PARTITION_KEY}': ?, 'status': ?, '${IDEMPOTENCY_TTL_ATTRIBUTE}': ?, 'lockUntil': ?, 'claimToken': ?, 'payloadHash': ?}`;
    return this.batch(requests.map((request) => ({
      Statement: statement,
      Parameters: [S(request.key), S(STATUS_IN_PROGRESS), N(request.expiresAtSeconds), N(request.lockUntilMs), S(request.token), S(request.payloadHash)],
    })));
  }

  /**
   * Reads up to 100 records in one consistent BatchGetItem: those that exist, and the keys
   * DynamoDB left unprocessed (to be asked again).
   */
  async readRecords(keys: readonly string[]): Promise<{ readonly found: Map<string, StoredRecord>; readonly unprocessed: string[] }> {
    const response = await this.client.send(new BatchGetItemCommand({
      RequestItems: { [this.tableName]: { Keys: keys.map((key) => ({ [IDEMPOTENCY_PARTITION_KEY]: S(key) })), ConsistentRead: true } },
    }));
    const found = new Map<string, StoredRecord>();
    for (const item of response.Responses?.[this.tableName] ?? []) {
      const key = item[IDEMPOTENCY_PARTITION_KEY]?.S;
      const record = storedRecordOf(item);
      if (key !== undefined && record) found.set(key, record);
    }
    const unprocessed = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []).map((key) => key[IDEMPOTENCY_PARTITION_KEY]?.S).filter((key): key is string => key !== undefined);
    return { found, unprocessed };
  }

  /**
   * Up to 25 fenced completions and releases in one BatchExecuteStatement: the same conditions as
   * complete() and release() (our token, still IN_PROGRESS). A refused one comes back with the
   * record as it stood (ALL_OLD). Answers in the order of `writes`.
   */
  async writeFenced(writes: readonly FencedWrite[]): Promise<StatementAnswer[]> {
    const fence = `WHERE "${IDEMPOTENCY_PARTITION_KEY}" = ? AND "claimToken" = ? AND "status" = ?`;
    return this.batch(writes.map((write) => {
      const fenceParameters = [S(write.claim.key), S(write.claim.token), S(STATUS_IN_PROGRESS)];
      return write.kind === 'complete'
        ? {
          Statement: `UPDATE ${this.quotedTable} SET "status" = ? SET "${IDEMPOTENCY_TTL_ATTRIBUTE}" = ? REMOVE "lockUntil" ${fence}`,
          Parameters: [S(STATUS_COMPLETED), N(write.expiresAtSeconds), ...fenceParameters],
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        }
        : { Statement: `DELETE FROM ${this.quotedTable} ${fence}`, Parameters: fenceParameters, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
    }));
  }

  /**
   * The claim-free commit: the COMPLETED record, put on the claim's condition (no record, an
   * expired one, or an abandoned claim whose lock ran out), together with the handler's writes in
   * one TransactWriteItems (alone: one conditional PutItem). Resolves to undefined when applied,
   * to the refusal when DynamoDB refused it (`fenceFailed`: our condition failed, with the record
   * that stopped it); any other error leaves the outcome unknown and is thrown.
   */
  async commit(request: CommitRequest, items: readonly TransactWriteItem[]): Promise<CompletionRefusal | undefined> {
    const put = this.completedPut(request);
    try {
      if (items.length === 0) {
        await this.client.send(new PutItemCommand(put));
      } else {
        // The token is random per commit: an SDK retry of a transaction that committed is answered with success, not applied again.
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: put }, ...items], ClientRequestToken: request.token }));
      }
      return undefined;
    } catch (err) {
      return refusalOf(err);
    }
  }

  /**
   * Several claim-free commits in one TransactWriteItems (at most MAX_TRANSACT_ITEMS items in
   * all): applied together, or cancelled together. A cancelled group answers per commit from the
   * cancellation reasons: refused (its COMPLETED record's condition, or one of its own writes,
   * failed) or `innocent` (cancelled by another commit of the group: nothing of it was applied).
   * Any other error (DynamoDB refusing the group as a whole, or an unknown outcome) is thrown.
   */
  async commitGroup(commits: readonly { readonly request: CommitRequest; readonly items: readonly TransactWriteItem[] }[]): Promise<GroupCommitAnswer[]> {
    const transactItems = commits.flatMap(({ request, items }) => [{ Put: this.completedPut(request) }, ...items]);
    try {
      // A group's own token: an SDK retry of a group that committed is answered with success, not applied again.
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: transactItems, ClientRequestToken: randomUUID() }));
      return commits.map(() => ({ kind: 'applied' }));
    } catch (err) {
      if (!isTransactionCanceled(err)) throw err;
      const reasons = (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
      if (reasons?.length !== transactItems.length) throw err;
      let offset = 0;
      return commits.map(({ items }) => {
        const own = reasons.slice(offset, offset + 1 + items.length);
        offset += 1 + items.length;
        return groupAnswerOf(own, err);
      });
    }
  }

  /** The COMPLETED record of a claim-free commit, on the claim's condition. */
  private completedPut(request: CommitRequest) {
    return {
      TableName: this.tableName,
      Item: {
        [IDEMPOTENCY_PARTITION_KEY]: S(request.key),
        status: S(STATUS_COMPLETED),
        [IDEMPOTENCY_TTL_ATTRIBUTE]: N(request.expiresAtSeconds),
        claimToken: S(request.token),
        payloadHash: S(request.payloadHash),
      },
      ConditionExpression: CLAIM_CONDITION,
      ExpressionAttributeNames: names('#pk', '#expiresAt', '#status', '#lockUntil'),
      ExpressionAttributeValues: {
        ':now': N(Math.floor(request.nowMs / 1000)),
        ':nowMs': N(request.nowMs),
        ':inProgress': S(STATUS_IN_PROGRESS),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }

  private async batch(statements: BatchStatementRequest[]): Promise<StatementAnswer[]> {
    const response = await this.client.send(new BatchExecuteStatementCommand({ Statements: statements }));
    return statements.map((_, index) => answerOf(response.Responses?.[index]));
  }
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

function answerOf(response: BatchStatementResponse | undefined): StatementAnswer {
  if (response === undefined) return { kind: 'failed', error: new StatementError('NoResponse', 'DynamoDB returned no answer for this statement') };
  const error = response.Error;
  if (error === undefined) return { kind: 'applied' };
  const statementError = new StatementError(error.Code ?? 'Unknown', error.Message ?? `the statement failed: ${error.Code}`);
  if (error.Code === 'DuplicateItem' || error.Code === 'ConditionalCheckFailed') {
    return { kind: 'refused', record: recordOf(error.Item), error: statementError };
  }
  return { kind: 'failed', error: statementError };
}

/** One commit of a group: applied, refused (as a commit alone would have been), or cancelled only by the others. */
export type GroupCommitAnswer =
  | { readonly kind: 'applied' }
  | { readonly kind: 'refused'; readonly refusal: CompletionRefusal }
  | { readonly kind: 'innocent' };

/** A refused completion or commit (the first write is ours), or the error rethrown when the outcome is unknown. */
function refusalOf(err: unknown): CompletionRefusal {
  if (isConditionalCheckFailed(err)) {
    return { fenceFailed: true, record: recordOf((err as { Item?: Record<string, AttributeValue> }).Item), error: err };
  }
  if (isTransactionCanceled(err)) {
    // Reasons come in the order of TransactItems: ours is the first.
    const ours = (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons?.[0];
    if (ours?.Code === 'ConditionalCheckFailed') return { fenceFailed: true, record: recordOf(ours.Item), error: err };
    if (ours !== undefined) return { fenceFailed: false, error: err };
  }
  throw err;
}

/** Why DynamoDB cancelled one item of a transaction (`None` for an item that did not fail). */
interface CancellationReason {
  readonly Code?: string;
  readonly Item?: Record<string, AttributeValue>;
}

/** How one commit of a cancelled group ended, from its reasons (its COMPLETED record's first). */
function groupAnswerOf(own: readonly CancellationReason[], err: unknown): GroupCommitAnswer {
  if (own[0].Code === 'ConditionalCheckFailed') return { kind: 'refused', refusal: { fenceFailed: true, record: recordOf(own[0].Item), error: err } };
  if (own.some((reason) => reason.Code !== undefined && reason.Code !== 'None')) return { kind: 'refused', refusal: { fenceFailed: false, error: err } };
  return { kind: 'innocent' };
}

/** The table's policy does not allow the request (e.g. the PartiQL actions were not granted). */
export function isAccessDenied(err: unknown): boolean {
  return (err as { name?: unknown })?.name === 'AccessDeniedException';
}

function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: unknown })?.name === 'ConditionalCheckFailedException';
}

function isTransactionCanceled(err: unknown): boolean {
  return (err as { name?: unknown })?.name === 'TransactionCanceledException';
}

function existingRecord(item: Record<string, AttributeValue> | undefined): ExistingRecord {
  // No item back means it vanished between the check and the response (TTL deletion): treat it as busy and retry later.
  return recordOf(item) ?? { status: STATUS_IN_PROGRESS };
}

function storedRecordOf(item: Record<string, AttributeValue>): StoredRecord | undefined {
  const record = recordOf(item);
  if (record === undefined) return undefined;
  const expiresAtSeconds = numberOf(item[IDEMPOTENCY_TTL_ATTRIBUTE]);
  return { ...record, ...(expiresAtSeconds === undefined ? {} : { expiresAtSeconds }) };
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  return value?.N === undefined ? undefined : Number(value.N);
}

function recordOf(item: Record<string, AttributeValue> | undefined): ExistingRecord | undefined {
  if (item === undefined) return undefined;
  const lockUntilMs = numberOf(item.lockUntil);
  return {
    status: item.status?.S ?? STATUS_IN_PROGRESS,
    ...(item.payloadHash?.S === undefined ? {} : { payloadHash: item.payloadHash.S }),
    ...(item.claimToken?.S === undefined ? {} : { claimToken: item.claimToken.S }),
    ...(lockUntilMs === undefined ? {} : { lockUntilMs }),
  };
}
