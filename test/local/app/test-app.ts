import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { bundledHandler } from '../../../examples/orders/bundle';
import { FanOutTopic, IdempotencyTable } from '../../../lib';

/** One consumer of a test app. */
export interface TestConsumer {
  readonly id: string;
  /** plain: effect then completion; transact: both in one transaction; fail: always throws. */
  readonly mode?: 'plain' | 'transact' | 'fail';
  readonly eventTypes?: string[];
  /** Without a handler the consumer is a queue only. */
  readonly handler?: boolean;
  readonly maxReceiveCount?: number;
  readonly timeoutSeconds?: number;
  readonly visibilitySeconds?: number;
  /**
   * A visibility timeout shorter than the function timeout, set through the escape hatch: the
   * construct refuses it, and tests need it to force redeliveries during processing.
   */
  readonly visibilityOverrideSeconds?: number;
  readonly sleepMs?: number;
  readonly batchSize?: number;
  readonly rawMessageDelivery?: boolean;
}

/**
 * Synthesizes a fan-out app with the constructs and the end-to-end handler into a temporary
 * cloud assembly, as `cdk synth` would, and returns its folder.
 */
export function synthTestApp(options: { readonly fifo?: boolean; readonly consumers: readonly TestConsumer[] }): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-e2e-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'E2e');
  const idempotency = new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY });
  const effects = new dynamodb.TableV2(stack, 'Effects', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const fanOut = new FanOutTopic(stack, 'Orders', { fifo: options.fifo });
  const code = bundledHandler(path.join(__dirname, 'effects-handler.ts'));
  for (const consumer of options.consumers) {
    const handler = consumer.handler === false ? undefined : new lambda.Function(stack, `${consumer.id}Handler`, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code,
      timeout: Duration.seconds(consumer.timeoutSeconds ?? 5),
      environment: {
        EFFECTS_TABLE: effects.tableName,
        HANDLER_MODE: consumer.mode ?? 'plain',
        SLEEP_MS: String(consumer.sleepMs ?? 0),
      },
    });
    const added = fanOut.addConsumer(consumer.id, {
      handler,
      idempotencyTable: handler && idempotency,
      eventTypes: consumer.eventTypes,
      maxReceiveCount: consumer.maxReceiveCount,
      batchSize: handler && consumer.batchSize,
      rawMessageDelivery: consumer.rawMessageDelivery,
      visibilityTimeout: Duration.seconds(consumer.visibilitySeconds ?? (handler ? 5 : 30)),
    });
    if (consumer.visibilityOverrideSeconds !== undefined) {
      (added.queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout = consumer.visibilityOverrideSeconds;
    }
  }
  app.synth();
  return outdir;
}
