import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';

/** A name no other test file uses: all files share the emulators. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export async function createIdempotencyTable(client: DynamoDBClient, prefix = 'idempotency'): Promise<string> {
  const tableName = uniqueName(prefix);
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  }));
  return tableName;
}

export async function getItem(client: DynamoDBClient, tableName: string, pk: string): Promise<Record<string, AttributeValue> | undefined> {
  const response = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }));
  return response.Item;
}

/** A new, empty bucket; its name. */
export async function createBucket(client: S3Client, prefix = 'payloads'): Promise<string> {
  const bucket = uniqueName(prefix);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function createQueue(client: SQSClient, prefix: string, fifo = false): Promise<{ url: string; arn: string }> {
  const name = uniqueName(prefix) + (fifo ? '.fifo' : '');
  const created = await client.send(new CreateQueueCommand({ QueueName: name, ...(fifo ? { Attributes: { FifoQueue: 'true' } } : {}) }));
  const url = created.QueueUrl!;
  const attributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: attributes.Attributes!.QueueArn! };
}

/**
 * Everything currently in a queue (fauxqs delivers synchronously, so what was sent is there),
 * deleted as it is read: a FIFO queue hides the rest of a group while a message is in flight.
 */
export async function drainQueue(client: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const response = await client.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }));
    if (!response.Messages?.length) return messages;
    messages.push(...response.Messages);
    await client.send(new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: response.Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
    }));
  }
}

/** Counts the HTTP requests a client sends, per command (each retry attempt counts). */
export function countRequests(client: { middlewareStack: unknown }) {
  const counts = new Map<string, number>();
  stackOf(client).add(
    (next, context) => async (args) => {
      counts.set(context.commandName as string, (counts.get(context.commandName as string) ?? 0) + 1);
      return next(args);
    },
    // Normal priority in finalizeRequest runs inside the retry middleware: once per attempt.
    { step: 'finalizeRequest', name: uniqueName('countRequests') },
  );
  return {
    total: () => [...counts.values()].reduce((sum, count) => sum + count, 0),
    of: (command: string) => counts.get(command) ?? 0,
    reset: () => counts.clear(),
  };
}

/**
 * Fault injection on a real client: while `active()` is true, every attempt of `command` fails
 * with a retryable server error before reaching the emulator.
 */
export function failRequests(client: { middlewareStack: unknown }, command: string, active: () => boolean = () => true): void {
  stackOf(client).add(
    (next, context) => async (args) => {
      if (context.commandName === command && active()) {
        throw Object.assign(new Error(`injected failure of ${command}`), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: uniqueName('failRequests') },
  );
}

/** Any SDK v3 client's middleware stack: the helpers only read the command name. */
function stackOf(client: { middlewareStack: unknown }): DynamoDBClient['middlewareStack'] {
  return client.middlewareStack as DynamoDBClient['middlewareStack'];
}

/** Lines a consumer logged, for assertions. */
export function captureLogs() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}) => {
    lines.push({ level, message, fields });
  };
  return { lines, logger: { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') } };
}

/** A promise and its resolver: holds a handler mid-flight until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
