import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE } from './names.js';
import type { ClaimTimes, CompletionRefusal, ExistingRecord } from './decide.js';

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
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

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
      if (isConditionalCheckFailed(err)) {
        return { fenceFailed: true, record: recordOf((err as { Item?: Record<string, AttributeValue> }).Item), error: err };
      }
      if (isTransactionCanceled(err)) {
        // Reasons come in the order of TransactItems: the completion is the first.
        const ours = (err as { CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[] }).CancellationReasons?.[0];
        if (ours?.Code === 'ConditionalCheckFailed') return { fenceFailed: true, record: recordOf(ours.Item), error: err };
        if (ours !== undefined) return { fenceFailed: false, error: err };
      }
      throw err;
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

function recordOf(item: Record<string, AttributeValue> | undefined): ExistingRecord | undefined {
  if (item === undefined) return undefined;
  return {
    status: item.status?.S ?? STATUS_IN_PROGRESS,
    ...(item.payloadHash?.S === undefined ? {} : { payloadHash: item.payloadHash.S }),
    ...(item.claimToken?.S === undefined ? {} : { claimToken: item.claimToken.S }),
  };
}
