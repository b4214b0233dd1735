import { Duration, Stack } from 'aws-cdk-lib';
import { FanOutDashboard, FanOutTopic } from '../../lib';
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

