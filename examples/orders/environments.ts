import { App, AppProps, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
// In your own app: import { ... } from 'cdk-fanout';
import { FanOutTopic, IdempotencyTable, PayloadBucket } from '../../lib';

/** A stack deployed once per environment. */
export interface OrdersEnvironmentProps extends StackProps {
  /** `prod`, `staging`, `dev-alice`: prefixes the names below, tags everything, filters messages. */
  readonly environment?: string;
}

/**
 * The orders fan-out of one environment. The explicit names (`orders`, `billing`, `idempotency`)
 * become `<environment>-orders` and so on, so two environments can share an account and region.
 */
export class OrdersEnvironmentStack extends Stack {
  public readonly orders: FanOutTopic;

  constructor(scope: Construct, id: string, props: OrdersEnvironmentProps = {}) {
    super(scope, id, props);
    const { environment } = props;
    new IdempotencyTable(this, 'Idempotency', { tableName: 'idempotency', environment });
    const payloads = new PayloadBucket(this, 'Payloads', { environment });
    this.orders = new FanOutTopic(this, 'Orders', { topicName: 'orders', environment, payloadBucket: payloads });
    this.orders.addConsumer('Billing', { queueName: 'billing', eventTypes: ['order.created'] });
    this.orders.addConsumer('Analytics', { queueName: 'analytics' });
  }
}

/** Two developers' environments in the shared development account: one app, two stacks. */
export function twoEnvironmentsApp(props?: AppProps): App {
  const app = new App(props);
  const dev = { account: '111111111111', region: 'eu-west-1' };
  new OrdersEnvironmentStack(app, 'OrdersDevAlice', { environment: 'dev-alice', env: dev });
  new OrdersEnvironmentStack(app, 'OrdersDevBob', { environment: 'dev-bob', env: dev });
  return app;
}
