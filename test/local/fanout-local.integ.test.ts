import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { SNSClient } from '@aws-sdk/client-sns';
import { main } from '@cdk-fanout/cli';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';
import { Publisher } from '@cdk-fanout/runtime';
import { fanout as run } from '../cli/support/run';
import { App, Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { bundledHandler } from '../../examples/orders/bundle';
import { StreamConsumer } from '../../lib';
import { synthTestApp } from './app/test-app';

// `fanout local` starts its own emulators unless given running ones: the run's, here.
const fanout = (...argv: string[]) => run(argv, { local: false });
const emulators = () => ['--fauxqs-endpoint', process.env.FANOUT_TEST_FAUXQS_ENDPOINT!, '--dynamodb-endpoint', process.env.FANOUT_TEST_DYNAMODB_ENDPOINT!];

describe('fanout local', () => {
  test('runs a cloud assembly: prints its endpoints and resources, then stops', async () => {
    const cdkOut = synthTestApp({ consumers: [{ id: 'Billing' }] });
    const result = await fanout('local', '--cdk-out', cdkOut, '--duration', '1', ...emulators());
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`fauxqs (SNS, SQS, S3): ${process.env.FANOUT_TEST_FAUXQS_ENDPOINT}`);
    expect(result.stdout).toMatch(/topic {2}arn:aws:sns:us-east-1:000000000000:E2e-OrdersTopic/);
    expect(result.stdout).toMatch(/lambda E2e-BillingHandler\S* ← E2eOrdersBilling\S* \(batch 10\)/);
    expect(result.stdout).toMatch(/skipped \(no local stand-in\): .*AWS::CloudWatch::Alarm ×4/);
    expect(result.stdout).toMatch(/E2e-BillingHandler\S*: \d+ received, \d+ invocations/);
  });

  test('an app with a Kinesis stream consumer: starts kinesalite, prints the stream, its mapping and what it did', async () => {
    const cdkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-local-stream-'));
    const app = new App({ outdir: cdkOut, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Clicks');
    const handler = new lambda.Function(stack, 'Counter', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: bundledHandler(path.join(__dirname, 'app', 'effects-handler.ts')),
    });
    new StreamConsumer(stack, 'ClickCounter', { stream: new kinesis.Stream(stack, 'Clicks', { shardCount: 2 }), handler, batchSize: 50 });
    app.synth();
    const result = await fanout('local', '--cdk-out', cdkOut, '--duration', '1', ...emulators());
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^kinesalite: {8}http:\/\/127\.0\.0\.1:\d+$/m);
    expect(result.stdout).toMatch(/^ {2}stream arn:aws:kinesis:us-east-1:000000000000:stream\/Clicks-Clicks\S*$/m);
    expect(result.stdout).toMatch(/^ {2}lambda Clicks-Counter\S* ← stream Clicks-Clicks\S* \(TRIM_HORIZON, batch 50\)$/m);
    expect(result.stdout).toMatch(/^Clicks-Counter\S* \(stream Clicks-Clicks\S*\): 0 read, 0 invocations, 0 checkpointed, 0 partial failures, 0 failed invocations, 0 given up \(0 on-failure records\)$/m);
  });

  test('shows the handlers\' log lines, each marked with its function', async () => {
    const cdkOut = synthTestApp({ consumers: [{ id: 'Billing' }] });
    const sns = new SNSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: process.env.FANOUT_TEST_FAUXQS_ENDPOINT });
    let stdout = '';
    let stderr = '';
    let published: Promise<unknown> | undefined;
    const io = {
      stdout: {
        write: (text: string) => {
          stdout += text;
          // Once it runs, publish one event to the topic it printed.
          const topicArn = /topic {2}(arn:aws:sns:\S+)/.exec(stdout)?.[1];
          if (topicArn && stdout.includes('running; Ctrl-C stops it') && !published) {
            published = new Publisher({ topicArn, source: 'test', client: sns }).publish('order.created', { orderId: 'o-1' });
          }
        },
      },
      stderr: { write: (text: string) => { stderr += text; } },
      stdin: Readable.from([]),
      stdinIsTTY: false,
      stderrIsTTY: false,
    };
    const code = await main(['local', '--cdk-out', cdkOut, '--duration', '8', ...emulators()], io);
    await published;
    sns.destroy();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^\[E2e-BillingHandler\S*\] \{"level":"INFO".*"message":"batch done".*"processed":1/m);
  });

  test('--app synthesizes first, and an app that does not synthesize names the command to run', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-local-app-'));
    const failing = await fanout('local', '--app', 'node -e "process.exit(3)"', '--cdk-out', outdir, ...emulators());
    expect(failing.code).toBe(1);

    const app = 'node -e "const cdk = require(\'aws-cdk-lib\'); const app = new cdk.App(); new (require(\'aws-cdk-lib/aws-sns\').Topic)(new cdk.Stack(app, \'Tiny\'), \'Events\'); app.synth();"';
    const synthesized = await fanout('local', '--app', app, '--cdk-out', outdir, '--duration', '1', ...emulators());
    expect(synthesized).toMatchObject({ code: 0 });
    expect(synthesized.stderr).toContain(`synthesizing ${app} into ${outdir}`);
    expect(synthesized.stdout).toMatch(/stack Tiny:\n {2}topic {2}arn:aws:sns:us-east-1:000000000000:Tiny-Events/);
    expect(failing.stderr).toContain('fanout local: the app did not synthesize (`node -e "process.exit(3)"` exited with 3); run `npx cdk synth --app "node -e \\"process.exit(3)\\""` to see why'.replace('\\"process.exit(3)\\"', '"process.exit(3)"'));
  });

  test('a missing cloud assembly names the command to run', async () => {
    const result = await fanout('local', '--cdk-out', path.join(os.tmpdir(), 'nothing-here'), ...emulators());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^fanout local: no synthesized app at .*nothing-here \(manifest.json is missing\): run `npx cdk synth`/);
  });

  test('one emulator endpoint without the other is a usage error', async () => {
    const result = await fanout('local', '--fauxqs-endpoint', 'http://127.0.0.1:1');
    expect(result).toMatchObject({ code: 2 });
    expect(result.stderr).toContain('--fauxqs-endpoint and --dynamodb-endpoint go together');
  });
});
