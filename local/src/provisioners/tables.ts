import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { resolveValue, type ReferenceResolver } from '../intrinsics';
import { tableArn } from './arns';
import type { DynamoDbPort } from './ports';
import { created, type Creation, type CreationContext, type ResourceCreator } from './resource-creator';

/** DynamoDB's longest table name. */
const MAX_TABLE_NAME_LENGTH = 255;

/** `AWS::DynamoDB::Table` and `AWS::DynamoDB::GlobalTable`: created on DynamoDB Local, on demand, with their keys and indexes. */
export class TableCreator implements ResourceCreator {
  constructor(private readonly dynamodb: DynamoDbPort) {}

  async create(logicalId: string, props: Record<string, unknown>, { ref, names, made }: CreationContext): Promise<Creation> {
    const name = names.of(logicalId, props.TableName, MAX_TABLE_NAME_LENGTH);
    await this.createUnlessItExists(tableInput(name, props, ref));
    made.tables.set(logicalId, name);
    return created({ ref: name, attributes: { Arn: tableArn(name), StreamArn: `${tableArn(name)}/stream/local` } });
  }

  /**
   * A table that already exists (the app ran on these emulators before) is kept with its items,
   * as a redeployment keeps a table.
   */
  private async createUnlessItExists(input: CreateTableCommandInput): Promise<void> {
    try {
      await this.dynamodb.send(new CreateTableCommand(input));
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
  }
}

/** The CreateTable request: the template's keys and indexes, on demand (so an index's provisioned throughput is left out; a global table's replicas have no local meaning). */
function tableInput(name: string, props: Record<string, unknown>, ref: ReferenceResolver): CreateTableCommandInput {
  return resolveValue({
    TableName: name,
    KeySchema: props.KeySchema,
    AttributeDefinitions: props.AttributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes as Array<Record<string, unknown>> | undefined)
      ?.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
    LocalSecondaryIndexes: props.LocalSecondaryIndexes,
  }, ref) as CreateTableCommandInput;
}
