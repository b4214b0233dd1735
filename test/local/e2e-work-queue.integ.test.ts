/*
 * A WorkQueue (point to point, no topic) on the local deployment: 200 envelopes sent with the SQS
 * publisher, 40 of them sent twice, and a poison message of each kind; the handler is the
 * end-to-end one (a counter per envelope in the effects table).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalDeployment } from '@cdk-fanout/local';
import { SqsPublisher } from '@cdk-fanout/runtime/sqs-publisher';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { bundledHandler } from '../../examples/orders/bundle';
import { IdempotencyTable, WorkQueue } from '../../lib';
import { effectsOf, messagesIn, peek, poisonPills, queuesOf, report, startTestStack, waitFor } from './e2e-support';

function synthWorkQueueApp(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-work-queue-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'E2e');
  const idempotency = new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY });
  const effects = new dynamodb.TableV2(stack, 'Effects', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
  const handler = new lambda.Function(stack, 'RefundsHandler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: bundledHandler(path.join(__dirname, 'app', 'effects-handler.ts')),
    timeout: Duration.seconds(5),
    environment: { EFFECTS_TABLE: effects.tableName },
  });
  new WorkQueue(stack, 'Refunds', { handler, idempotencyTable: idempotency, visibilityTimeout: Duration.seconds(5) });
  app.synth();
  return outdir;
}

describe('end to end: a work queue', () => {
  let local: LocalDeployment | undefined;
  afterEach(async () => {
    await local?.stop();
    local = undefined;
  });

  test('7. 200 envelopes, 40 sent twice, a poison message of each kind: every effect once, poison in the DLQ with its reason', async () => {
    local = await startTestStack(synthWorkQueueApp());
    const { queue, deadLetterQueue } = queuesOf(local, 'refunds');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'e2e', client: local.clients.sqs });
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const entries = ids.map((id, i) => ({ type: 'order.created', data: { orderId: `r-${i}` }, id }));
    const sent = await publisher.publishBatch([...entries, ...entries.slice(0, 40)]);
    expect(sent.every((result) => result.ok)).toBe(true);

    const pills = poisonPills({
      raw: (body) => local!.clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body })),
      conflict: () => publisher.publish('order.created', { orderId: 'different' }, { id: ids[0] }),
      nonRetryable: () => publisher.publish('order.created', { orderId: 'p', poison: true }),
    });
    for (const pill of Object.values(pills)) await pill();

    await waitFor('the work queue to drain', async () => (await messagesIn(local!, queue)) === 0, 120_000);
    const effects = await effectsOf(local, 'refunds');
    const deadLetters = await peek(local, deadLetterQueue);
    const figures = report('work queue', {
      sent: ids.length + 40 + Object.keys(pills).length,
      processed: ids.filter((id) => effects.has(id)).length,
      lost: ids.filter((id) => !effects.has(id)).length,
      doubleEffects: [...effects.values()].filter((n) => n > 1).length,
      inDeadLetterQueue: deadLetters.length,
    });
    expect(figures).toMatchObject({ processed: 200, lost: 0, doubleEffects: 0, inDeadLetterQueue: Object.keys(pills).length });
    expect(deadLetters.map((m) => m.MessageAttributes?.['fanout.reason']?.StringValue).sort()).toEqual(Object.keys(pills).sort());
  });
});
