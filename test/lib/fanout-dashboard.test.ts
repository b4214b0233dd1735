import { Duration, Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { FanOutDashboard, FanOutTopic, KafkaCluster, KafkaConsumer, KafkaDeadLetter, RabbitMqBroker, RabbitMqConsumer, StreamConsumer, WorkQueue } from '../../lib';
import { newHandler, newStack, template } from './fixtures';

function dashboardBody(stack: Stack): string {
  const [dashboard] = Object.values(template(stack).findResources('AWS::CloudWatch::Dashboard'));
  return JSON.stringify(stack.resolve(dashboard.Properties.DashboardBody));
}

/** The dashboard body as JSON, with each deploy-time value (queue names, function names) as "TOKEN". */
function dashboardJson(stack: Stack): { widgets: Array<{ x: number; y: number; properties: { title?: string; markdown?: string } }> } {
  const [dashboard] = Object.values(template(stack).findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard.Properties.DashboardBody;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  return JSON.parse(parts.map((part) => typeof part === 'string' ? part : 'TOKEN').join(''));
}

describe('FanOutDashboard', () => {
  test('shows the topic and, per consumer, depth, age, DLQ and its handler\'s errors, throttles and duration', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.addConsumer('Billing', { handler: newHandler(stack, 'Fn', Duration.seconds(10)) });
    fanOut.addConsumer('Analytics');
    new FanOutDashboard(stack, 'Dashboard', { fanOut, dashboardName: 'orders' });
    template(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'orders' });
    const body = dashboardBody(stack);
    for (const text of [
      'NumberOfMessagesPublished', 'NumberOfNotificationsDelivered', 'NumberOfNotificationsFailed',
      'billing: queue depth / dead letters', 'billing: age of oldest message (s)', 'billing: handler errors / throttles / duration',
      'analytics: queue depth / dead letters', 'analytics: age of oldest message (s)',
      'ApproximateAgeOfOldestMessage', 'Errors', 'Throttles', 'Duration',
    ]) {
      expect(body).toContain(text);
    }
    expect(body).not.toContain('analytics: handler');
  });

  test('consumers added after the dashboard are on it too, laid out below the topic', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    new FanOutDashboard(stack, 'Dashboard', { fanOut });
    fanOut.addConsumer('Billing', { handler: newHandler(stack, 'Fn', Duration.seconds(10)) });
    fanOut.addConsumer('Analytics');
    const body = dashboardJson(stack);
    const titles = body.widgets.map((w) => w.properties.title ?? w.properties.markdown);
    expect(titles).toEqual([
      '# Fan-out Test/Orders',
      'Topic: published / delivered / failed',
      'billing: queue depth / dead letters', 'billing: age of oldest message (s)', 'billing: handler errors / throttles / duration',
      'analytics: queue depth / dead letters', 'analytics: age of oldest message (s)',
    ]);
    const positions = body.widgets.map((w) => [w.x, w.y]);
    expect(positions).toEqual([[0, 0], [0, 1], [0, 7], [8, 7], [16, 7], [0, 13], [8, 13]]);
  });
});

describe('FanOutDashboard: work queues, stream, Kafka and RabbitMQ consumers', () => {
  const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/abcd1234-abcd-cafe-abab-9876543210ab-4';

  test('a row each, below the fan-out\'s consumers (also those added later), with their own metrics', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    const dashboard = new FanOutDashboard(stack, 'Dashboard', { fanOut });
    dashboard.addWorkQueue(new WorkQueue(stack, 'Invoices', { handler: newHandler(stack, 'InvoicesFn') }));
    dashboard.addStreamConsumer(new StreamConsumer(stack, 'Clicks', { stream: new kinesis.Stream(stack, 'ClickStream'), handler: newHandler(stack, 'ClicksFn') }));
    dashboard.addKafkaConsumer(new KafkaConsumer(stack, 'Audit', {
      cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler: newHandler(stack, 'AuditFn'), deadLetter: KafkaDeadLetter.SQS_QUEUE,
    }));
    dashboard.addKafkaConsumer(new KafkaConsumer(stack, 'Ledger', { cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler: newHandler(stack, 'LedgerFn') }));
    fanOut.addConsumer('Analytics');
    const body = dashboardJson(stack);
    expect(body.widgets.map((w) => [w.properties.title ?? w.properties.markdown, w.x, w.y])).toEqual([
      ['# Fan-out Test/Orders', 0, 0],
      ['Topic: published / delivered / failed', 0, 1],
      ['analytics: queue depth / dead letters', 0, 7], ['analytics: age of oldest message (s)', 8, 7],
      ['invoices: queue depth / dead letters', 0, 13], ['invoices: age of oldest message (s)', 8, 13], ['invoices: handler errors / throttles / duration', 16, 13],
      ['clicks: iterator age (ms)', 0, 19], ['clicks: dead letters', 8, 19], ['clicks: handler errors / throttles / duration', 16, 19],
      ['audit: offset lag (records)', 0, 25], ['audit: dead letters', 8, 25], ['audit: handler errors / throttles / duration', 16, 25],
      ['ledger: offset lag (records)', 0, 31], ['ledger: handler errors / throttles / duration', 8, 31],
    ]);
    const text = dashboardBody(stack);
    for (const metric of ['IteratorAge', 'OffsetLag', 'ClicksDeadLetterQueue', 'AuditDeadLetterQueue']) {
      expect(text).toContain(metric);
    }
  });

  test('without a fan-out: only what was added', () => {
    const stack = newStack();
    const dashboard = new FanOutDashboard(stack, 'Dashboard');
    dashboard.addWorkQueue(new WorkQueue(stack, 'Invoices'));
    expect(dashboardJson(stack).widgets.map((w) => w.properties.title)).toEqual(['invoices: queue depth / dead letters', 'invoices: age of oldest message (s)']);
  });

  test('a dashboard with nothing to show fails synth, naming the fix', () => {
    const stack = newStack();
    new FanOutDashboard(stack, 'Dashboard');
    expect(() => template(stack)).toThrow(/\[Test\/Dashboard\] the dashboard has nothing to show; give it a fanOut, or add a work queue, stream, Kafka or RabbitMQ consumer \(addWorkQueue\(\), addStreamConsumer\(\), addKafkaConsumer\(\), addRabbitMqConsumer\(\)\)/);
  });

  test('a RabbitMQ consumer: its queue\'s ready and unacknowledged messages, its poison and broker dead letters, its handler', () => {
    const stack = newStack();
    const dashboard = new FanOutDashboard(stack, 'Dashboard');
    dashboard.addRabbitMqConsumer(new RabbitMqConsumer(stack, 'Billing', {
      broker: RabbitMqBroker.fromBrokerArn('arn:aws:mq:eu-west-1:123456789012:broker:orders:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9'),
      secret: new secretsmanager.Secret(stack, 'BrokerUser'),
      handler: newHandler(stack, 'BillingFn'),
    }));
    expect(dashboardJson(stack).widgets.map((w) => [w.properties.title, w.x, w.y])).toEqual([
      ['billing: queue billing (messages)', 0, 0], ['billing: dead letters', 8, 0], ['billing: handler errors / throttles / duration', 16, 0],
    ]);
    const metrics = (dashboardJson(stack).widgets as unknown as Array<{ properties: { metrics: unknown[][] } }>).map((w) => w.properties.metrics.map((m) => m.slice(0, -1)));
    expect(metrics.slice(0, 2)).toEqual([
      [
        ['AWS/AmazonMQ', 'MessageReadyCount', 'Broker', 'orders', 'Queue', 'billing', 'VirtualHost', '/'],
        ['AWS/AmazonMQ', 'MessageUnacknowledgedCount', 'Broker', 'orders', 'Queue', 'billing', 'VirtualHost', '/'],
      ],
      [
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', 'TOKEN'],
        ['AWS/AmazonMQ', 'MessageCount', 'Broker', 'orders', 'Queue', 'billing.dlq', 'VirtualHost', '/'],
      ],
    ]);
  });
});
