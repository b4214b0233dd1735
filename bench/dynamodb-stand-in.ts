import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** The HTTP request the SDK built, signed, as it would go on the wire. */
interface WireRequest {
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'STANDIN' };
const CONDITIONAL_CHECK_FAILED = 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException';

/**
 * DynamoDB, stood in inside the process, so CPU per record measures the runtimes and the SDK
 * rather than a server and a network. It sits at the innermost step of a real DynamoDBClient:
 * each library builds, serialises and signs its requests and parses the answers exactly as
 * against DynamoDB; only the HTTP round trip is replaced by an answer in DynamoDB's JSON
 * protocol. Both runtimes get the same stand-in.
 *
 * Semantics, as far as the benchmark needs them: a conditional PutItem fails with
 * ConditionalCheckFailedException (and the old item under ALL_OLD) when the key exists, and
 * succeeds otherwise; UpdateItem applies its SET/REMOVE; DeleteItem deletes; GetItem reads.
 * Expiry and lock takeover never arise here (ids are fresh or duplicates of completed records),
 * so other conditions are not evaluated. The stand-in's own time is measured so that callers
 * can take it out of their figures.
 */
export class DynamoDbStandIn {
  private readonly tables = new Map<string, Map<string, Item>>();
  /** Milliseconds spent answering requests since the last `reset`. */
  ownTimeMs = 0;

  /** @param keyAttributes the partition key attribute of each table, by table name */
  constructor(private readonly keyAttributes: Readonly<Record<string, string>>) {}

  /** Answers every request of `client` from now on. Call before the client's first send (clients may cache their stack). */
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      () => async (args) => {
        const started = performance.now();
        const response = this.answer(args.request as WireRequest);
        this.ownTimeMs += performance.now() - started;
        return { response, output: undefined as never };
      },
      // Innermost: after serialisation and signing, where the HTTP handler would send the request.
      { step: 'deserialize', priority: 'low', name: 'dynamoDbStandIn' },
    );
  }

  /** Forgets every item and the time measured. */
  reset(): void {
    this.tables.clear();
    this.ownTimeMs = 0;
  }

  private answer(request: WireRequest): { statusCode: number; headers: Record<string, string>; body: Uint8Array } {
    const operation = request.headers['x-amz-target'].split('.')[1];
    const text = typeof request.body === 'string' ? request.body : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString('utf8');
    const input = JSON.parse(text) as Record<string, unknown>;
    const table = this.table(input.TableName as string);
    const keyOf = (item: Item) => JSON.stringify(item[this.keyAttributes[input.TableName as string]]);
    let status = 200;
    let output: object = {};
    switch (operation) {
      case 'PutItem': {
        const item = input.Item as Item;
        const existing = table.get(keyOf(item));
        if (existing && input.ConditionExpression) {
          status = 400;
          output = {
            __type: CONDITIONAL_CHECK_FAILED,
            message: 'The conditional request failed',
            ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: existing } : {}),
          };
        } else {
          table.set(keyOf(item), item);
        }
        break;
      }
      case 'UpdateItem': {
        const key = input.Key as Item;
        const item = { ...(table.get(keyOf(key)) ?? key) };
        applyUpdate(item, input.UpdateExpression as string, input.ExpressionAttributeNames as Record<string, string>, input.ExpressionAttributeValues as Item);
        table.set(keyOf(key), item);
        break;
      }
      case 'DeleteItem':
        table.delete(keyOf(input.Key as Item));
        break;
      case 'GetItem': {
        const item = table.get(keyOf(input.Key as Item));
        output = item ? { Item: item } : {};
        break;
      }
      default:
        throw new Error(`DynamoDbStandIn: ${operation} is not stood in`);
    }
    return { statusCode: status, headers: JSON_HEADERS, body: Buffer.from(JSON.stringify(output)) };
  }

  private table(name: string): Map<string, Item> {
    if (!(name in this.keyAttributes)) throw new Error(`DynamoDbStandIn: no table ${name}`);
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }
}

/** Applies `SET #a = :a, #b = :b REMOVE #c` (the forms both runtimes write) to `item`. */
function applyUpdate(item: Item, expression: string, names: Record<string, string> = {}, values: Item = {}): void {
  const name = (token: string) => names[token] ?? token;
  for (const [, action, clause] of expression.matchAll(/(SET|REMOVE)\s+(.*?)(?=\s+(?:SET|REMOVE)\s|$)/g)) {
    for (const part of clause.split(',')) {
      if (action === 'SET') {
        const [target, value] = part.split('=').map((side) => side.trim());
        item[name(target)] = values[value];
      } else {
        delete item[name(part.trim())];
      }
    }
  }
}
