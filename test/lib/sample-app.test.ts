import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ordersApp } from '../../examples/orders/app';
import type { OrdersFanOutStack } from '../../examples/orders/stack';

/**
 * The deployable sample app (bin/app.ts) with cdk-nag's AwsSolutions pack, and one synth with
 * aws-cdk-lib's built-in CloudFormation validation on (the other tests turn it off for speed).
 */
describe('sample app OrdersFanOut', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-nag-'));
  const app = ordersApp({ outdir });
  const stack = app.node.findChild('OrdersFanOut') as OrdersFanOutStack;

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('passes cdk-nag AwsSolutions and CloudFormation validation with no unsuppressed error', () => {
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((p: { violations: unknown[] }) => p.violations);
    expect(violations).toEqual([]);
  });

  test('control: the same checks do fail a topic without a TLS-only policy', () => {
    const control = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-nag-control-')), builtinCloudFormationValidation: false });
    new sns.Topic(new Stack(control, 'Control'), 'Plain');
    Validations.of(control).addPlugins(new AwsSolutionsChecks(control));
    expect(() => control.synth()).toThrow(/The SNS Topic does not require publishers to use SSL/);
    const report = fs.readFileSync(path.join(control.outdir, 'validation-report.json'), 'utf8');
    expect(report).toContain('AwsSolutions-SNS3');
    fs.rmSync(control.outdir, { recursive: true, force: true });
  });

  test('every suppression carries a written reason', () => {
    const acknowledged = app.node.findAll().flatMap((c) => c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>)));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [rule, reason] of acknowledged) {
      expect({ rule, reason: reason.length > 30 }).toEqual({ rule, reason: true });
    }
  });

  test('three consumers: billing and inventory with handlers and filters, analytics a queue only', () => {
    const t = Template.fromStack(stack);
    expect(stack.orders.consumers.map((c) => [c.consumerName, c.handler !== undefined])).toEqual([
      ['billing', true], ['inventory', true], ['analytics', false],
    ]);
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    t.hasResourceProperties('AWS::SNS::Subscription', { FilterPolicy: { type: ['order.created'] } });
    t.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Environment: { Variables: { FANOUT_CONSUMER_NAME: 'inventory' } } });
  });

  test('a work queue, refunds: its queue and DLQ tagged for the command line, alarms to the ops topic, a row on the dashboard', () => {
    const t = Template.fromStack(stack);
    const refunds = stack.refunds;
    expect(refunds.consumerName).toBe('refunds');
    const queueId = stack.getLogicalId(refunds.queue.node.defaultChild as never);
    const dlqId = stack.getLogicalId(refunds.deadLetterQueue.node.defaultChild as never);
    const queues = t.findResources('AWS::SQS::Queue');
    expect(queues[queueId].Properties.Tags).toEqual([{ Key: 'fanout:consumer', Value: 'refunds' }, { Key: 'fanout:role', Value: 'queue' }]);
    expect(queues[dlqId].Properties.Tags).toEqual([{ Key: 'fanout:consumer', Value: 'refunds' }, { Key: 'fanout:role', Value: 'dead-letter-queue' }]);
    expect(refunds.alarms).toHaveLength(2);
    const [dashboard] = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain('refunds: queue depth / dead letters');
  });
});
