import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { LocalDeployment, LocalEndpoints } from '@cdk-fanout/local';
import { optionalInteger, optionalString, UsageError, type Command, type CommandContext } from './command';

/** Context the CDK CLI gives an app too, so that `--app` synthesizes what `cdk synth` would. */
const SYNTH_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };

export const local: Command = {
  name: 'local',
  summary: 'Run a synthesized CDK app on local emulators: SNS/SQS/S3 (fauxqs), DynamoDB Local, Kinesis (kinesalite) and its Lambda consumers.',
  description: 'Provisions the topics, queues, subscriptions, tables, S3 buckets and Kinesis streams of every stack, polls each SQS and Kinesis event source (and RabbitMQ, with --rabbitmq-url) into its bundled handler, and runs until Ctrl-C (or --duration). Prints the endpoints to point `fanout publish --endpoint` and the SDK at, then the handlers\' log lines, each marked [function name].',
  options: {
    'cdk-out': { type: 'string', value: 'DIR', description: 'the cloud assembly to run (default: cdk.out)' },
    app: { type: 'string', value: 'COMMAND', description: 'synthesize this CDK app command first (as in cdk.json "app") into --cdk-out' },
    'max-visibility': { type: 'string', value: 'SECONDS', description: 'cap every queue\'s visibility timeout so failed messages return quickly' },
    duration: { type: 'string', value: 'SECONDS', description: 'stop after this many seconds (default: run until Ctrl-C)' },
    'fauxqs-endpoint': { type: 'string', value: 'URL', description: 'use a running fauxqs instead of starting one (with --dynamodb-endpoint)' },
    'dynamodb-endpoint': { type: 'string', value: 'URL', description: 'use a running DynamoDB Local instead of starting one (with --fauxqs-endpoint)' },
    'rabbitmq-url': { type: 'string', value: 'URL', description: 'a running RabbitMQ broker (amqp://user:password@host:5672) standing in for the app\'s Amazon MQ brokers: each RabbitMQ consumer polls its queue there (declare it first: fanout rabbitmq declare)' },
  },
  examples: [
    'fanout local --app "npx tsx bin/app.ts"',
    'fanout local --cdk-out cdk.out --max-visibility 5',
    'fanout local --rabbitmq-url amqp://guest:guest@127.0.0.1:5672',
  ],
  async run({ values, io }: CommandContext) {
    const cdkOut = path.resolve(optionalString(values, 'cdk-out') ?? 'cdk.out');
    const app = optionalString(values, 'app');
    const duration = optionalInteger(values, 'duration', 1);
    const maxVisibilityTimeoutSeconds = optionalInteger(values, 'max-visibility', 0, 43_200);
    const endpoints = runningEmulators(optionalString(values, 'fauxqs-endpoint'), optionalString(values, 'dynamodb-endpoint'));
    const rabbitMqUrl = optionalString(values, 'rabbitmq-url');
    if (rabbitMqUrl !== undefined && !/^amqps?:\/\//.test(rabbitMqUrl)) {
      throw new UsageError(`--rabbitmq-url must be an AMQP URL (amqp://user:password@host:5672), got ${JSON.stringify(rabbitMqUrl)}`);
    }
    if (app) {
      io.stderr.write(`synthesizing ${app} into ${cdkOut}\n`);
      synthesize(app, cdkOut);
    }
    const { LocalDeployment } = loadLocal();
    const deployment = await LocalDeployment.start({
      cdkOut,
      endpoints,
      maxVisibilityTimeoutSeconds,
      ...(rabbitMqUrl !== undefined && { rabbitmq: { url: rabbitMqUrl } }),
      onHandlerOutput: (functionName, text) => io.stdout.write(handlerLines(functionName, text)),
    });
    try {
      io.stdout.write(describe(deployment));
      await stopped(duration);
      io.stdout.write(stats(deployment));
    } finally {
      await deployment.stop();
    }
  },
};

/**
 * The emulator stack is an optional package of its own (fauxqs, DynamoDB Local): on-call machines
 * rarely need it, so it loads only for this command.
 */
function loadLocal(): typeof import('@cdk-fanout/local') {
  try {
    return require('@cdk-fanout/local') as typeof import('@cdk-fanout/local');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes('@cdk-fanout/local')) {
      throw new Error('this command needs the package @cdk-fanout/local: install it with `npm i -D @cdk-fanout/local` (Java 17 for DynamoDB Local)');
    }
    throw error;
  }
}

function runningEmulators(fauxqs: string | undefined, dynamodb: string | undefined): LocalEndpoints | undefined {
  if (!fauxqs !== !dynamodb) {
    throw new UsageError('--fauxqs-endpoint and --dynamodb-endpoint go together: give both, or neither to start the emulators');
  }
  return fauxqs && dynamodb ? { fauxqs, dynamodb } : undefined;
}

/** Runs the app as the CDK CLI does: the app writes its cloud assembly to CDK_OUTDIR. */
function synthesize(app: string, outdir: string): void {
  const result = spawnSync(app, {
    shell: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(SYNTH_CONTEXT) },
  });
  if (result.status !== 0) {
    const detail = result.stderr?.toString().trim().split('\n').slice(-1)[0];
    throw new Error(`the app did not synthesize (\`${app}\` exited with ${result.status ?? result.signal}${detail ? `: ${detail}` : ''}); run \`npx cdk synth --app "${app}"\` to see why`);
  }
}

/** A handler's output, each line marked with its function, as CloudWatch Logs would group it. */
function handlerLines(functionName: string, text: string): string {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => `[${functionName}] ${line}\n`).join('');
}

function describe(deployment: LocalDeployment): string {
  const lines = [
    `fauxqs (SNS, SQS, S3): ${deployment.endpoints.fauxqs}`,
    `DynamoDB Local:    ${deployment.endpoints.dynamodb}`,
    ...(deployment.endpoints.kinesis ? [`kinesalite:        ${deployment.endpoints.kinesis}`] : []),
  ];
  for (const provisioned of deployment.stacks) {
    lines.push(`stack ${provisioned.stackName}:`);
    for (const topic of provisioned.topics.values()) lines.push(`  topic  ${topic.arn}`);
    for (const queue of provisioned.queues.values()) lines.push(`  queue  ${queue.url}`);
    for (const table of provisioned.tables.values()) lines.push(`  table  ${table}`);
    for (const bucket of provisioned.buckets.values()) lines.push(`  bucket ${bucket}`);
    for (const stream of provisioned.streams.values()) lines.push(`  stream ${stream.arn}`);
    for (const source of provisioned.eventSources) lines.push(`  lambda ${source.function.name} ← ${source.queue.name} (batch ${source.batchSize})`);
    for (const source of provisioned.streamEventSources) lines.push(`  lambda ${source.function.name} ← stream ${source.stream.name} (${source.startingPosition}, batch ${source.batchSize})`);
    for (const source of provisioned.rabbitMqEventSources) lines.push(`  lambda ${source.function.name} ← RabbitMQ queue ${source.queue} (virtual host ${source.virtualHost}, batch ${source.batchSize})`);
  }
  lines.push(deployment.skippedSummary(), 'running; Ctrl-C stops it', '');
  return lines.join('\n');
}

function stats(deployment: LocalDeployment): string {
  const lines = deployment.pollers.map(({ mapping, stats: s }) =>
    `${mapping.function.name}: ${s.received} received, ${s.invocations} invocations, ${s.deleted} deleted, ${s.itemFailures} item failures, ${s.failedInvocations} failed invocations`);
  const rabbitMq = deployment.rabbitMqPollers.map(({ mapping, stats: s }) =>
    `${mapping.function.name} (RabbitMQ ${mapping.queue}): ${s.received} received, ${s.invocations} invocations, ${s.acked} acknowledged, ${s.requeued} returned to the queue, ${s.failedInvocations} failed invocations`);
  const streams = deployment.streamPollers.map(({ mapping, stats: s }) =>
    `${mapping.function.name} (stream ${mapping.stream.name}): ${s.read} read, ${s.invocations} invocations, ${s.checkpointed} checkpointed, ${s.partialFailures} partial failures, `
    + `${s.failedInvocations} failed invocations, ${s.givenUp} given up (${s.onFailureRecords} on-failure records)`);
  return `${[...lines, ...rabbitMq, ...streams].join('\n')}\n`;
}

/** Resolves after `seconds`, or on Ctrl-C / SIGTERM. */
function stopped(seconds: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    const timer = seconds === undefined ? undefined : setTimeout(done, seconds * 1000);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
