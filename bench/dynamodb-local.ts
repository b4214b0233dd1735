import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal, type Emulator } from '@cdk-fanout/local';
import { benchDynamoDbClient } from './dynamodb-client';
import { benchTables } from './subjects';

/** DynamoDB Local with every subject's idempotency table (in the layout its runtime expects) and the ledger table. */
export async function startBenchDynamoDb(): Promise<Emulator> {
  const emulator = await startDynamoDbLocal();
  const client = benchDynamoDbClient(emulator.endpoint);
  try {
    for (const [table, key] of Object.entries(benchTables())) {
      await client.send(new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
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
