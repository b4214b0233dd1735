// A fresh user app: one fan-out topic with a payload bucket for large messages, one consumer whose
// handler is a NodejsFunction written with @cdk-fanout/runtime and bundled by the app's local
// esbuild (no Docker). Run from the app folder
// after `tsc -p tsconfig.app.json`: `CDK_OUTDIR=cdk.out node build/app.js`.
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FanOutTopic, IdempotencyTable, PayloadBucket } from 'cdk-fanout';

const root = path.join(__dirname, '..');
const app = new App({
  // What `cdk synth` writes by default and `fanout local` uses to find each consumer's resources.
  context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true },
});
const stack = new Stack(app, 'InstallTest');

const billing = new NodejsFunction(stack, 'BillingHandler', {
  entry: path.join(root, 'handlers', 'billing.ts'),
  handler: 'handler',
  runtime: lambda.Runtime.NODEJS_22_X,
  timeout: Duration.seconds(30),
  depsLockFilePath: path.join(root, 'package-lock.json'),
  projectRoot: root,
  bundling: {
    externalModules: ['@aws-sdk/*'],
    format: OutputFormat.CJS,
    minify: true,
    target: 'node22',
  },
});

const table = new IdempotencyTable(stack, 'Idempotency');
const payloads = new PayloadBucket(stack, 'Payloads');
const orders = new FanOutTopic(stack, 'Orders', { topicName: 'orders', payloadBucket: payloads });
orders.addConsumer('Billing', {
  handler: billing,
  eventTypes: ['order.created'],
  idempotencyTable: table,
});

app.synth();
