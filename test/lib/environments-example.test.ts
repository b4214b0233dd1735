import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OrdersEnvironmentStack, twoEnvironmentsApp } from '../../examples/orders/environments';

/** The README's two-environment app (examples/orders/environments.ts), synthesized. */
describe('two environments in one app', () => {
  test('each stack names its resources after its environment, tags them, and filters on it', () => {
    const app = twoEnvironmentsApp({ builtinCloudFormationValidation: false });
    const names = (id: string) => {
      const t = Template.fromStack(app.node.findChild(id) as OrdersEnvironmentStack);
      return [
        ...Object.values(t.findResources('AWS::SNS::Topic')).map((r) => r.Properties.TopicName),
        ...Object.values(t.findResources('AWS::SQS::Queue')).map((r) => r.Properties.QueueName).filter((n) => typeof n === 'string' && !n.includes('Misrouted')),
        ...Object.values(t.findResources('AWS::DynamoDB::GlobalTable')).map((r) => r.Properties.TableName),
      ].sort();
    };
    expect(names('OrdersDevAlice')).toEqual(['dev-alice-analytics', 'dev-alice-analytics-dlq', 'dev-alice-billing', 'dev-alice-billing-dlq', 'dev-alice-idempotency', 'dev-alice-orders']);
    expect(names('OrdersDevBob')).toEqual(['dev-bob-analytics', 'dev-bob-analytics-dlq', 'dev-bob-billing', 'dev-bob-billing-dlq', 'dev-bob-idempotency', 'dev-bob-orders']);
    Template.fromStack(app.node.findChild('OrdersDevBob') as OrdersEnvironmentStack).hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicy: { type: ['order.created'], environment: ['dev-bob', { exists: false }] },
    });
    expect(() => app.synth()).not.toThrow();
  });

  test('control: the same two stacks without environments collide on every explicit name at synth', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const dev = { account: '111111111111', region: 'eu-west-1' };
    new OrdersEnvironmentStack(app, 'OrdersA', { env: dev });
    new OrdersEnvironmentStack(app, 'OrdersB', { env: dev });
    expect(() => app.synth()).toThrow('[OrdersB/Orders] SNS topic name \'orders\' is already the name OrdersA/Orders gives in account 111111111111 region eu-west-1');
  });
});
