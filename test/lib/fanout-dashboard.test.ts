import { Duration, Stack } from 'aws-cdk-lib';
import { FanOutDashboard, FanOutTopic } from '../../lib';
import { newHandler, newStack, template } from './fixtures';

function dashboardBody(stack: Stack): string {
  const [dashboard] = Object.values(template(stack).findResources('AWS::CloudWatch::Dashboard'));
  return JSON.stringify(stack.resolve(dashboard.Properties.DashboardBody));
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
});
