import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal, type Emulator } from '@cdk-fanout/local';
import { benchDynamoDbClient } from './dynamodb-client';
import { RUNTIME_SUBJECTS } from './subjects';

/** DynamoDB Local with each runtime's idempotency table, in the layout that runtime expects. */
export async function startBenchDynamoDb(): Promise<Emulator> {
  const emulator = await startDynamoDbLocal();
  const client = benchDynamoDbClient(emulator.endpoint);
  try {
    for (const subject of RUNTIME_SUBJECTS) {
      await client.send(new CreateTableCommand({
        TableName: subject.tableName,
        KeySchema: [{ AttributeName: subject.keyAttribute, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: subject.keyAttribute, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }));
    }
  } catch (error) {
    await emulator.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return emulator;
}
