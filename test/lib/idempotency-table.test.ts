import { CfnParameter, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Match } from 'aws-cdk-lib/assertions';
import { FanOutTopic, IdempotencyTable } from '../../lib';
import { newHandler, newStack, newStacks, template } from './fixtures';

describe('IdempotencyTable', () => {
  test('defaults: pk string key, TTL on expiresAt, on-demand, point-in-time recovery, encrypted, retained', () => {
    const stack = newStack();
    new IdempotencyTable(stack, 'Idempotency');
    const t = template(stack);
    t.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        // SSEEnabled false is DynamoDB's own (AWS-owned) key: every table is encrypted at rest.
        SSESpecification: { SSEEnabled: false },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      },
    });
  });

  test('options: name, removal policy, customer-managed key, no PITR', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new IdempotencyTable(stack, 'Idempotency', { tableName: 'idem', removalPolicy: RemovalPolicy.DESTROY, encryptionKey: key, pointInTimeRecovery: false });
    template(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        TableName: 'idem',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
          SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
        })],
      }),
    });
  });

  test('grant(principal, name) scopes a non-Lambda reader to its own keys, with the key when there is one', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const table = new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key });
    const role = new iam.Role(stack, 'Poller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    table.grant(role, 'analytics');
    const statements = Object.values(template(stack).findResources('AWS::IAM::Policy'))[0].Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchGetItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['analytics#*'] } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt']) }));
  });

  test('two consumers on one table each get only their own prefix', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.addConsumer('Billing', { handler: newHandler(stack, 'BillingFn'), idempotencyTable: table });
    fanOut.addConsumer('Inventory', { handler: newHandler(stack, 'InventoryFn'), idempotencyTable: table });
    const prefixes = Object.values(template(stack).findResources('AWS::IAM::Policy'))
      .map((p) => p.Properties.PolicyDocument.Statement.find((s: { Condition?: unknown }) => s.Condition).Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys']);
    expect(prefixes).toEqual([['billing#*'], ['inventory#*']]);
  });

  test('grantConsumer of a consumer without handler, and a bad name, are clear errors', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    const consumer = new FanOutTopic(stack, 'Orders').addConsumer('Analytics');
    expect(() => table.grantConsumer(consumer))
      .toThrow('Test/Orders/Analytics: has no handler to grant; give it a handler, or call grant(principal, \'analytics\') for the service that reads its queue');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => table.grant(role, '*')).toThrow('Test/Idempotency: consumer name \'*\' is invalid');
    expect(() => table.grant(role, 'analytics', 'Prod_1')).toThrow(new Error(
      'Test/Idempotency: environment \'Prod_1\' is invalid; use 1 to 20 lower-case letters, digits and dashes, starting with a letter (e.g. \'prod\', \'staging\', \'dev-alice\')'));
  });

  test('a table name DynamoDB would refuse is an error that names the rule; a deploy-time name is left alone', () => {
    const stack = newStack();
    expect(() => new IdempotencyTable(stack, 'Short', { tableName: 'ab' }))
      .toThrow(new Error('Test/Short: tableName \'ab\' is not a DynamoDB table name; use 3 to 255 letters, digits, \'_\', \'-\' or \'.\', or remove tableName to have one generated'));
    expect(() => new IdempotencyTable(stack, 'Spaces', { tableName: 'idempotency records' })).toThrow(/Test\/Spaces: tableName 'idempotency records' is not a DynamoDB table name/);
    new IdempotencyTable(stack, 'Named', { tableName: 'orders.idempotency-v2' });
    new IdempotencyTable(stack, 'FromParameter', { tableName: new CfnParameter(stack, 'TableName').valueAsString });
    template(stack).resourceCountIs('AWS::DynamoDB::GlobalTable', 2);
  });
});

describe('IdempotencyTable: one principal per consumer name', () => {
  const CLASH = 'two consumers sharing one key space would skip or poison each other\'s events as duplicates or conflicts, and could delete each other\'s records';

  test('the same consumer name on two topics in two stacks with one table is refused, naming both consumers and the fix', () => {
    const [stack, payments] = newStacks('Test', 'Payments');
    const table = new IdempotencyTable(stack, 'Idempotency');
    new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler: newHandler(stack, 'OrdersBillingFn'), idempotencyTable: table });
    expect(() => new FanOutTopic(payments, 'Payments').addConsumer('Billing', { handler: newHandler(payments, 'PaymentsBillingFn'), idempotencyTable: table })).toThrow(new Error(
      `Payments/Payments/Billing: consumer name 'billing' already owns the keys 'billing#*' of idempotency table Test/Idempotency, for Test/Orders/Billing; ${CLASH}; set a distinct consumerName`,
    ));
  });

  test('in one stack, the same name is refused as a name of the stack (one message for both clashes)', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler: newHandler(stack, 'OrdersBillingFn'), idempotencyTable: table });
    expect(() => new FanOutTopic(stack, 'Payments').addConsumer('Billing', { handler: newHandler(stack, 'PaymentsBillingFn'), idempotencyTable: table })).toThrow(new Error(
      'Test/Payments/Billing: consumer name \'billing\' is already used in stack Test by Test/Orders/Billing; '
      + 'the fanout commands find a consumer by its name in its stack (--stack Test --consumer billing), so give one of them another id or consumerName',
    ));
  });

  test('a distinct consumerName on the second topic is fine', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler: newHandler(stack, 'OrdersBillingFn'), idempotencyTable: table });
    new FanOutTopic(stack, 'Payments').addConsumer('Billing', { consumerName: 'payments-billing', handler: newHandler(stack, 'PaymentsBillingFn'), idempotencyTable: table });
    template(stack).resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
  });

  test('grant(principal, name) of a name a consumer owns is refused, and so is a consumer whose name was granted to another principal', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.addConsumer('Billing', { handler: newHandler(stack, 'BillingFn'), idempotencyTable: table });
    const poller = new iam.Role(stack, 'Poller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(() => table.grant(poller, 'billing')).toThrow(new Error(
      `Test/Idempotency: consumer name 'billing' already owns the keys 'billing#*' of this table, for Test/Orders/Billing; ${CLASH}; grant each consumer name to one principal, or use a distinct consumer name`,
    ));
    table.grant(poller, 'analytics');
    expect(() => fanOut.addConsumer('Analytics', { handler: newHandler(stack, 'AnalyticsFn'), idempotencyTable: table })).toThrow(new Error(
      `Test/Orders/Analytics: consumer name 'analytics' already owns the keys 'analytics#*' of idempotency table Test/Idempotency, for Test/Poller; ${CLASH}; set a distinct consumerName`,
    ));
  });

  test('granting a name again to the principal that has it is fine (grantConsumer, or grant of its handler)', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    const handler = newHandler(stack, 'BillingFn');
    table.grant(handler, 'billing');
    const consumer = new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler, idempotencyTable: table });
    table.grantConsumer(consumer);
    const role = new iam.Role(stack, 'Poller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    table.grant(role, 'analytics');
    table.grant(role, 'analytics');
  });
});
