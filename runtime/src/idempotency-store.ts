import { randomUUID } from 'node:crypto';
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
import type { ExistingRecord } from './decide.js';

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
  | { readonly claimed: true; readonly claim: Claim }
  | { readonly claimed: false; readonly existing: ExistingRecord };

export interface ClaimRequest {
  readonly key: string;
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
const FENCE_CONDITION = '#claimToken = :token';

/**
 * The idempotency table. Each method is one request; the caller decides what a result means
 * (see decide.ts).
 */
export class IdempotencyStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  /**
   * One conditional PutItem. When the condition fails the old item comes back with the error
   * (ReturnValuesOnConditionCheckFailure = ALL_OLD), so a duplicate costs this one request.
   */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const token = randomUUID();
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [IDEMPOTENCY_PARTITION_KEY]: { S: request.key },
          status: { S: STATUS_IN_PROGRESS },
          [IDEMPOTENCY_TTL_ATTRIBUTE]: { N: String(request.expiresAtSeconds) },
          lockUntil: { N: String(request.lockUntilMs) },
          claimToken: { S: token },
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
      return { claimed: true, claim: { key: request.key, token } };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      return { claimed: false, existing: existingRecord((err as { Item?: Record<string, AttributeValue> }).Item) };
    }
  }

  /**
   * Marks the record COMPLETED, fenced by our claim token: if another invocation has taken the
   * claim over since, this fails and leaves its record alone. With `items` the completion and
   * those writes commit in one TransactWriteItems, so the effect and "processed" happen together
   * or not at all.
   */
  async complete(claim: Claim, expiresAtSeconds: number, items: readonly TransactWriteItem[] = []): Promise<void> {
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
      },
    };
    if (items.length === 0) {
      await this.client.send(new UpdateItemCommand(update));
      return;
    }
    await this.client.send(new TransactWriteItemsCommand({
      TransactItems: [{ Update: update }, ...items],
      // The claim token is unique per attempt, so an SDK retry of this very request cannot apply it twice.
      ClientRequestToken: claim.token,
    }));
  }

  /** Deletes our claim so the next delivery can claim afresh; a claim taken over by someone else is left alone. */
  async release(claim: Claim): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: { [IDEMPOTENCY_PARTITION_KEY]: { S: claim.key } },
        ConditionExpression: FENCE_CONDITION,
        ExpressionAttributeNames: names('#claimToken'),
        ExpressionAttributeValues: { ':token': { S: claim.token } },
      }));
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}

function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: unknown })?.name === 'ConditionalCheckFailedException';
}

function existingRecord(item: Record<string, AttributeValue> | undefined): ExistingRecord {
  // No item back means it vanished between the check and the response (TTL deletion): treat it as busy and retry later.
  return {
    status: item?.status?.S ?? STATUS_IN_PROGRESS,
    ...(item?.payloadHash?.S === undefined ? {} : { payloadHash: item.payloadHash.S }),
  };
}
