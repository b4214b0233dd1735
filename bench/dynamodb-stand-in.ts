import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  applyUpdate,
  evaluate,
  operandValue,
  parseCondition,
  parseStatement,
  parseUpdate,
  ValidationError,
  type Bindings,
  type Condition,
  type Item,
  type Statement,
} from './dynamodb-expressions';

/** The HTTP request the SDK built, signed, as it would go on the wire. */
interface WireRequest {
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

interface Answer {
  readonly status: number;
  readonly output: object;
}

type Input = Record<string, unknown>;

const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'STANDIN' };
const CONDITIONAL_REQUEST_FAILED = 'The conditional request failed';

export interface StandInOptions {
  /**
   * Milliseconds every answer is held back, as a network round trip to DynamoDB would; the
   * request is applied when it arrives. 0 answers at once (CPU measurements).
   * @default 0
   */
  readonly roundTripMs?: number;
}

/**
 * DynamoDB, stood in inside the process, so CPU per record measures the runtimes and the SDK
 * rather than a server and a network. It sits at the innermost step of a real DynamoDBClient:
 * each library builds, serialises and signs its requests and parses the answers exactly as
 * against DynamoDB; only the HTTP round trip is replaced by an answer in DynamoDB's JSON
 * protocol, optionally after a fixed delay (`roundTripMs`). Every runtime gets the same stand-in.
 *
 * What it evaluates (checked against DynamoDB Local's answers by stand-in-check.ts): PutItem,
 * UpdateItem, DeleteItem with condition expressions, `ReturnValues` and
 * `ReturnValuesOnConditionCheckFailure`; GetItem and consistent BatchGetItem (projections of
 * top-level attributes); PartiQL `ExecuteStatement` and `BatchExecuteStatement` (INSERT, which
 * answers DuplicateItem for an existing key; UPDATE, DELETE and SELECT with a WHERE naming the
 * key, answering ConditionalCheckFailed per statement with the old item under ALL_OLD);
 * TransactWriteItems (Put, Update, Delete, ConditionCheck, all or nothing, cancellation reasons
 * in order with old items under ALL_OLD, ClientRequestToken replays). Anything else throws, so a
 * runtime sending something new fails the benchmark instead of being answered wrongly. The
 * stand-in's own time is measured so that callers can take it out of their figures.
 */
export class DynamoDbStandIn {
  private readonly tables = new Map<string, Map<string, Item>>();
  private readonly transactionTokens = new Set<string>();
  /**
   * CPU microseconds spent answering requests since the last `reset` (CPU, not wall time: on a
   * loaded machine the wall clock would also count the time the process waited for a core).
   */
  ownCpuMicros = 0;
  /** Requests answered since the last `reset`, by operation. */
  requests: Record<string, number> = {};

  /** @param keyAttributes the partition key attribute of each table, by table name */
  constructor(private readonly keyAttributes: Readonly<Record<string, string>>, private readonly options: StandInOptions = {}) {}

  /** Answers every request of `client` from now on. Call before the client's first send (clients may cache their stack). */
  attach(client: DynamoDBClient): void {
    const roundTripMs = this.options.roundTripMs ?? 0;
    client.middlewareStack.add(
      () => async (args) => {
        const before = process.cpuUsage();
        const response = this.answerWire(args.request as WireRequest);
        const used = process.cpuUsage(before);
        this.ownCpuMicros += used.user + used.system;
        if (roundTripMs > 0) await sleep(roundTripMs);
        return { response, output: undefined as never };
      },
      // Innermost: after serialisation and signing, where the HTTP handler would send the request.
      { step: 'deserialize', priority: 'low', name: 'dynamoDbStandIn' },
    );
  }

  /** Forgets every item, the time measured and the requests counted. */
  reset(): void {
    this.tables.clear();
    this.transactionTokens.clear();
    this.ownCpuMicros = 0;
    this.requests = {};
  }

  private answerWire(request: WireRequest): { statusCode: number; headers: Record<string, string>; body: Uint8Array } {
    const operation = request.headers['x-amz-target'].split('.')[1];
    const text = typeof request.body === 'string' ? request.body : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString('utf8');
    this.requests[operation] = (this.requests[operation] ?? 0) + 1;
    let answer: Answer;
    try {
      answer = this.answer(operation, JSON.parse(text) as Input);
    } catch (error) {
      if (!(error instanceof ValidationError)) {
        process.stderr.write(`DynamoDbStandIn: ${operation}: ${(error as Error).message}\n`);
        throw error;
      }
      answer = failure('ValidationException', error.message);
    }
    return { statusCode: answer.status, headers: JSON_HEADERS, body: Buffer.from(JSON.stringify(answer.output)) };
  }

  private answer(operation: string, input: Input): Answer {
    switch (operation) {
      case 'PutItem':
        return this.write(input, 'Put');
      case 'UpdateItem':
        return this.write(input, 'Update');
      case 'DeleteItem':
        return this.write(input, 'Delete');
      case 'GetItem': {
        const item = this.table(input.TableName as string).get(this.keyOf(input.TableName as string, input.Key as Item));
        return ok(item ? { Item: project(item, input) } : {});
      }
      case 'BatchGetItem':
        return this.batchGet(input);
      case 'BatchExecuteStatement':
        return this.batchExecute(input);
      case 'ExecuteStatement':
        return this.executeStatement(input);
      case 'TransactWriteItems':
        return this.transactWrite(input);
      default:
        throw new Error(`${operation} is not stood in`);
    }
  }

  /** PutItem, UpdateItem or DeleteItem, alone: a refused condition is a ConditionalCheckFailedException. */
  private write(input: Input, kind: 'Put' | 'Update' | 'Delete'): Answer {
    if (input.Expected || input.AttributeUpdates) throw new Error('legacy Expected/AttributeUpdates parameters are not stood in');
    const action = this.prepare(kind, input);
    if (!action.conditionHolds) {
      return failure('ConditionalCheckFailedException', CONDITIONAL_REQUEST_FAILED, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && action.existing ? { Item: action.existing } : {});
    }
    action.apply();
    const returnValues = (input.ReturnValues as string | undefined) ?? 'NONE';
    if (returnValues === 'NONE') return ok({});
    if (returnValues === 'ALL_OLD') return ok(action.existing ? { Attributes: action.existing } : {});
    if (returnValues === 'ALL_NEW' && kind === 'Update') return ok({ Attributes: action.updated });
    throw new Error(`ReturnValues ${returnValues} is not stood in`);
  }

  /** One write's condition checked against the current item, and how to apply it. */
  private prepare(kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck', input: Input): { existing?: Item; updated?: Item; conditionHolds: boolean; apply(): void } {
    const tableName = input.TableName as string;
    const table = this.table(tableName);
    const keySource = (kind === 'Put' ? input.Item : input.Key) as Item;
    const key = this.keyOf(tableName, keySource);
    const existing = table.get(key);
    const bindings = expressionBindings(input);
    const conditionHolds = input.ConditionExpression === undefined || evaluate(parseCondition(input.ConditionExpression as string), existing, bindings);
    let updated: Item | undefined;
    if (kind === 'Put') updated = input.Item as Item;
    if (kind === 'Update') updated = applyUpdate(existing ?? (input.Key as Item), parseUpdate(input.UpdateExpression as string), bindings);
    return {
      ...(existing ? { existing } : {}),
      ...(updated ? { updated } : {}),
      conditionHolds,
      apply: () => {
        if (kind === 'Delete') table.delete(key);
        else if (updated) table.set(key, updated);
      },
    };
  }

  private batchGet(input: Input): Answer {
    const requests = Object.entries(input.RequestItems as Record<string, Input>);
    const keyCount = requests.reduce((sum, [, request]) => sum + (request.Keys as Item[]).length, 0);
    if (keyCount > 100) throw new ValidationError('Too many items requested for the BatchGetItem call');
    const responses: Record<string, Item[]> = {};
    for (const [tableName, request] of requests) {
      const table = this.table(tableName);
      const keys = (request.Keys as Item[]).map((key) => this.keyOf(tableName, key));
      if (new Set(keys).size !== keys.length) throw new ValidationError('Provided list of item keys contains duplicates');
      responses[tableName] = keys.flatMap((key) => {
        const item = table.get(key);
        return item ? [project(item, request)] : [];
      });
    }
    return ok({ Responses: responses, UnprocessedKeys: {} });
  }

  private batchExecute(input: Input): Answer {
    const statements = (input.Statements as Input[]).map((request) => ({ request, statement: parseStatement(request.Statement as string) }));
    if (statements.length > 25) throw new ValidationError('Member must have length less than or equal to 25');
    // DynamoDB refuses the whole request before applying any of it (DynamoDB Local applies the statements first: stand-in-check.ts).
    const keys = statements.map(({ request, statement }) => `${statement.table}/${this.statementKey(statement, request).key}`);
    if (new Set(keys).size !== keys.length) throw new ValidationError('Provided list of item keys contains duplicates');
    return ok({
      Responses: statements.map(({ request, statement }) => {
        const result = this.execute(statement, request);
        if (result.error) {
          return {
            TableName: statement.table,
            Error: { Code: result.error, Message: result.error === 'DuplicateItem' ? 'Duplicate primary key exists in table' : CONDITIONAL_REQUEST_FAILED, ...(result.item ? { Item: result.item } : {}) },
          };
        }
        return { TableName: statement.table, ...(result.item ? { Item: result.item } : {}) };
      }),
    });
  }

  private executeStatement(input: Input): Answer {
    const statement = parseStatement(input.Statement as string);
    const result = this.execute(statement, input);
    if (result.error === 'DuplicateItem') return failure('DuplicateItemException', 'Duplicate primary key exists in table');
    if (result.error) return failure('ConditionalCheckFailedException', CONDITIONAL_REQUEST_FAILED, result.item ? { Item: result.item } : {});
    return ok(statement.kind === 'SELECT' ? { Items: result.item ? [result.item] : [] } : {});
  }

  /** One PartiQL statement: what DynamoDB answers for it (DuplicateItem, ConditionalCheckFailed with the old item under ALL_OLD, or a read item). */
  private execute(statement: Statement, request: Input): { error?: 'DuplicateItem' | 'ConditionalCheckFailed'; item?: Item } {
    const table = this.table(statement.table);
    const { key, bindings } = this.statementKey(statement, request);
    const existing = table.get(key);
    const allOld = request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
    switch (statement.kind) {
      case 'INSERT':
        // No old item, even under ALL_OLD.
        if (existing) return { error: 'DuplicateItem' };
        table.set(key, Object.fromEntries(statement.item.map(([name, operand]) => [name, operandValue(operand, undefined, bindings)!])));
        return {};
      case 'UPDATE':
        if (!existing) return { error: 'ConditionalCheckFailed' };
        if (!evaluate(statement.where, existing, bindings)) return { error: 'ConditionalCheckFailed', ...(allOld ? { item: existing } : {}) };
        table.set(key, applyUpdate(existing, statement.actions, bindings));
        return {};
      case 'DELETE':
        // A missing item is deleted without complaint, whatever the WHERE says (as DynamoDB Local answers).
        if (!existing) return {};
        if (!evaluate(statement.where, existing, bindings)) return { error: 'ConditionalCheckFailed', ...(allOld ? { item: existing } : {}) };
        table.delete(key);
        return {};
      case 'SELECT':
        if (!existing || !evaluate(statement.where, existing, bindings)) return {};
        return { item: statement.projection === '*' ? existing : Object.fromEntries(statement.projection.filter((name) => name in existing).map((name) => [name, existing[name]])) };
    }
  }

  /** The key a statement names: from its VALUE for INSERT, from the key equality of its WHERE otherwise. */
  private statementKey(statement: Statement, request: Input): { key: string; bindings: Bindings } {
    const bindings: Bindings = { parameters: (request.Parameters as AttributeValue[] | undefined) ?? [] };
    const keyAttribute = this.keyAttribute(statement.table);
    let value: AttributeValue | undefined;
    if (statement.kind === 'INSERT') {
      const operand = statement.item.find(([name]) => name === keyAttribute)?.[1];
      value = operand && operandValue(operand, undefined, bindings);
    } else {
      value = keyEquality(statement.where, keyAttribute, bindings);
    }
    if (value === undefined) throw new ValidationError(`Where clause does not contain a mandatory equality on all key attributes (${keyAttribute})`);
    return { key: keyString(value), bindings };
  }

  private transactWrite(input: Input): Answer {
    const token = input.ClientRequestToken as string | undefined;
    // A retry of a committed transaction with the same token succeeds without applying it again.
    if (token !== undefined && this.transactionTokens.has(token)) return ok({});
    const items = input.TransactItems as Record<string, Input>[];
    if (items.length > 100) throw new ValidationError('Member must have length less than or equal to 100');
    const actions = items.map((entry) => {
      const [kind, request] = Object.entries(entry)[0] as ['Put' | 'Update' | 'Delete' | 'ConditionCheck', Input];
      return { request, ...this.prepare(kind, request), key: `${request.TableName as string}/${this.keyOf(request.TableName as string, (kind === 'Put' ? request.Item : request.Key) as Item)}` };
    });
    // DynamoDB refuses it before evaluating anything (DynamoDB Local cancels it instead: stand-in-check.ts).
    if (new Set(actions.map((action) => action.key)).size !== actions.length) {
      throw new ValidationError('Transaction request cannot include multiple operations on one item');
    }
    if (actions.every((action) => action.conditionHolds)) {
      for (const action of actions) action.apply();
      if (token !== undefined) this.transactionTokens.add(token);
      return ok({});
    }
    const reasons = actions.map((action) => (action.conditionHolds
      ? { Code: 'None' }
      : {
        Code: 'ConditionalCheckFailed',
        Message: CONDITIONAL_REQUEST_FAILED,
        ...(action.request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && action.existing ? { Item: action.existing } : {}),
      }));
    const message = `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`;
    return failure('TransactionCanceledException', message, { CancellationReasons: reasons });
  }

  private keyAttribute(tableName: string): string {
    const keyAttribute = this.keyAttributes[tableName];
    if (keyAttribute === undefined) throw new Error(`no table ${tableName} in the stand-in`);
    return keyAttribute;
  }

  private keyOf(tableName: string, item: Item): string {
    const value = item[this.keyAttribute(tableName)];
    if (value === undefined) throw new ValidationError('One of the required keys was not given a value');
    return keyString(value);
  }

  private table(name: string): Map<string, Item> {
    this.keyAttribute(name);
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }
}

function keyString(value: AttributeValue): string {
  return value.S ?? JSON.stringify(value);
}

/** The value a WHERE clause's top-level AND chain sets the key attribute equal to. */
function keyEquality(condition: Condition, keyAttribute: string, bindings: Bindings): AttributeValue | undefined {
  if (condition.kind === 'and') return keyEquality(condition.left, keyAttribute, bindings) ?? keyEquality(condition.right, keyAttribute, bindings);
  if (condition.kind !== 'compare' || condition.op !== '=') return undefined;
  if (condition.left.kind === 'path' && condition.left.name === keyAttribute) return operandValue(condition.right, undefined, bindings);
  if (condition.right.kind === 'path' && condition.right.name === keyAttribute) return operandValue(condition.left, undefined, bindings);
  return undefined;
}

function expressionBindings(input: Input): Bindings {
  return {
    names: input.ExpressionAttributeNames as Record<string, string> | undefined,
    values: input.ExpressionAttributeValues as Record<string, AttributeValue> | undefined,
  };
}

/** The item limited to a ProjectionExpression of top-level attributes. */
function project(item: Item, request: Input): Item {
  const projection = request.ProjectionExpression as string | undefined;
  if (projection === undefined) return item;
  const names = request.ExpressionAttributeNames as Record<string, string> | undefined;
  const wanted = projection.split(',').map((part) => {
    const name = part.trim();
    if (/[.[]/.test(name)) throw new Error('nested projections are not stood in');
    return name.startsWith('#') ? names?.[name] ?? name : name;
  });
  return Object.fromEntries(wanted.filter((name) => name in item).map((name) => [name, item[name]]));
}

function ok(output: object): Answer {
  return { status: 200, output };
}

function failure(type: string, message: string, extra: object = {}): Answer {
  return { status: 400, output: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, Message: message, ...extra } };
}
