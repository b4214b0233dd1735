import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { findConsumerQueues, type ConsumerQueues } from '@cdk-fanout/runtime/names';
import { readCloudAssembly } from './cloud-assembly';
import { Emulator, kinesaliteClient, LOCAL_CREDENTIALS, LOCAL_REGION, localRequestHandler, startDynamoDbLocal, startFauxqs, startKinesalite } from './emulators';
import { EventSourcePoller, type PollerOptions } from './event-source-poller';
import { StreamPoller } from './stream-poller';
import { LocalFunction, type PreloadModule } from './lambda-function';
import { RabbitMqPoller } from './rabbitmq-poller';
import type { LocalRabbitMqOptions } from './rabbitmq-source';
import { provisionStack, type LocalClients, type LocalFunctionSpec, type LocalQueue, type ProvisionedStack } from './provision';

/** Where the emulators listen. */
export interface LocalEndpoints {
  /** fauxqs: SNS, SQS and S3. */
  readonly fauxqs: string;
  readonly dynamodb: string;
  /** kinesalite: Kinesis, for an app with streams. */
  readonly kinesis?: string;
}

export interface LocalDeploymentOptions {
  /**
   * The cloud assembly to run.
   * @default 'cdk.out'
   */
  readonly cdkOut?: string;
  /**
   * Emulators already running (the test suite's); they are then left running on stop().
   * @default fauxqs and DynamoDB Local are started, and stopped on stop(); so is kinesalite when the
   *   app has Kinesis streams and `kinesis` is not given
   */
  readonly endpoints?: LocalEndpoints;
  /** Prepended to every physical name, so several copies of an app can share the emulators. */
  readonly namePrefix?: string;
  /** Caps every queue's visibility timeout (seconds): retries come back quickly (demos). */
  readonly maxVisibilityTimeoutSeconds?: number;
  /** Concurrency of every event source mapping. */
  readonly polling?: PollerOptions;
  /**
   * A running RabbitMQ broker standing in for the app's Amazon MQ brokers (nothing provisions
   * one locally): each RabbitMQ event source mapping polls its queue there. Declare the queues
   * first (`fanout rabbitmq declare`).
   * @default - none: RabbitMQ event source mappings are skipped, and `skippedSummary()` says so
   */
  readonly rabbitmq?: LocalRabbitMqOptions;
  /**
   * Modules every execution environment loads before the handler, as a Lambda layer's wrapper
   * script would: instrumentation, tracing, fault injection in tests.
   * @default - none
   */
  readonly preload?: readonly PreloadModule[];
  /**
   * Handler log lines, one call per chunk written by a function; by default they are dropped.
   * @default - dropped
   */
  readonly onHandlerOutput?: (functionName: string, text: string) => void;
}

/**
 * A synthesized CDK app running on one machine: fauxqs for SNS and SQS, DynamoDB Local for
 * tables, kinesalite for Kinesis streams, and every SQS and Kinesis event source mapping polled
 * into its bundled Lambda handler.
 */
export class LocalDeployment {
  /**
   * Provisions every stack of the cloud assembly and starts polling. On a failure everything
   * started so far is stopped again.
   */
  static async start(options: LocalDeploymentOptions = {}): Promise<LocalDeployment> {
    const stacks = readCloudAssembly(path.resolve(options.cdkOut ?? 'cdk.out'));
    const owned: Emulator[] = [];
    const deployment = new LocalDeployment(owned);
    try {
      let endpoints = options.endpoints;
      if (!endpoints) {
        const [fauxqs, dynamodb] = await Promise.all([startFauxqs(), startDynamoDbLocal()]);
        owned.push(fauxqs, dynamodb);
        endpoints = { fauxqs: fauxqs.endpoint, dynamodb: dynamodb.endpoint };
      }
      const streams = stacks.flatMap((stack) => Object.entries(stack.resources).filter(([, r]) => r.Type === 'AWS::Kinesis::Stream').map(([id]) => `${stack.stackName}/${id}`));
      if (streams.length > 0 && !endpoints.kinesis) {
        const kinesalite = await startKinesalite(`this app's Kinesis streams (${streams.join(', ')})`);
        owned.push(kinesalite);
        endpoints = { ...endpoints, kinesis: kinesalite.endpoint };
      }
      await deployment.run(stacks, endpoints, options);
      return deployment;
    } catch (error) {
      await deployment.stop();
      throw error;
    }
  }

  readonly stacks: ProvisionedStack[] = [];
  readonly pollers: EventSourcePoller[] = [];
  /** One per Amazon MQ for RabbitMQ event source mapping (with `rabbitmq` given). */
  readonly rabbitMqPollers: RabbitMqPoller[] = [];
  /** One per Kinesis event source mapping. */
  readonly streamPollers: StreamPoller[] = [];
  private readonly functions: LocalFunction[] = [];
  private endpointsInUse?: LocalEndpoints;
  private clientsInUse?: LocalClients;

  private constructor(private readonly owned: Emulator[]) {}

  /** Where the emulators listen. */
  get endpoints(): LocalEndpoints {
    return this.endpointsInUse!;
  }

  /** SDK clients for the emulators. */
  get clients(): LocalClients {
    return this.clientsInUse!;
  }

  /**
   * The queue and dead-letter queue of a consumer that reads an SQS queue (fan-out or work-queue
   * consumer), by its name or construct id (`order-history` or `OrderHistory`), found by the tags
   * the constructs set (the lookup `fanout dlq` uses). A consumer that owns only a dead-letter
   * queue (stream, Kafka, RabbitMQ) is refused, naming that queue and `deadLetterQueueOf`.
   */
  consumerQueues(consumer: string): ConsumerQueues<LocalQueue> & { readonly queue: LocalQueue } {
    const { queue, deadLetterQueue, deadLetterRole } = this.deadLetterQueueOf(consumer);
    if (!queue) {
      throw new Error(`this app's consumer "${consumer}" has no queue of its own: it reads a stream, a Kafka topic or a RabbitMQ queue and owns only a dead-letter queue `
        + `(${deadLetterQueue.logicalId}, role ${deadLetterRole}); deadLetterQueueOf('${consumer}') returns it`);
    }
    return { queue, deadLetterQueue, deadLetterRole };
  }

  /**
   * The dead-letter queue of any consumer (for a stream consumer: Lambda's on-failure records and
   * its poison), and its queue when it has one, found by the same tags as `consumerQueues`.
   */
  deadLetterQueueOf(consumer: string): ConsumerQueues<LocalQueue> {
    return findConsumerQueues(this.stacks.flatMap((s) => [...s.queues.values()]), consumer, 'this app');
  }

  /** One line: what was left out, by type (alarms, dashboards, IAM…). */
  skippedSummary(): string {
    const counts = new Map<string, number>();
    for (const stack of this.stacks) {
      for (const [type, count] of stack.skipped) {
        counts.set(type, (counts.get(type) ?? 0) + count);
      }
    }
    const list = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => `${type} ×${count}`);
    return list.length ? `skipped (no local stand-in): ${list.join(', ')}` : 'skipped: nothing';
  }

  /** Stops polling, the functions' environments and the emulators this stack started. */
  async stop(): Promise<void> {
    await Promise.all(this.rabbitMqPollers.map((p) => p.stop()));
    await Promise.all([...this.pollers, ...this.streamPollers].map((p) => p.stop()));
    await Promise.all(this.functions.map((f) => f.stop()));
    await Promise.all(this.owned.map((e) => e.stop()));
    for (const client of Object.values(this.clientsInUse ?? {})) {
      client.destroy();
    }
  }

  private async run(stacks: ReturnType<typeof readCloudAssembly>, endpoints: LocalEndpoints, options: LocalDeploymentOptions): Promise<void> {
    this.endpointsInUse = endpoints;
    const common = () => ({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, requestHandler: localRequestHandler() });
    this.clientsInUse = {
      sqs: new SQSClient({ ...common(), endpoint: endpoints.fauxqs }),
      sns: new SNSClient({ ...common(), endpoint: endpoints.fauxqs }),
      dynamodb: new DynamoDBClient({ ...common(), endpoint: endpoints.dynamodb }),
      s3: new S3Client({ ...common(), endpoint: endpoints.fauxqs, forcePathStyle: true }),
      ...(endpoints.kinesis && { kinesis: kinesaliteClient(endpoints.kinesis) }),
    };
    for (const stack of stacks) {
      this.stacks.push(await provisionStack(stack, this.clients, options));
    }
    const lambdaEnvironment = localLambdaEnvironment(endpoints);
    const functions = new Map<string, LocalFunction>();
    const functionFor = (spec: LocalFunctionSpec): LocalFunction => {
      let fn = functions.get(spec.logicalId);
      if (!fn) {
        fn = new LocalFunction(spec, lambdaEnvironment, options.preload ?? [], options.onHandlerOutput);
        functions.set(spec.logicalId, fn);
        this.functions.push(fn);
      }
      return fn;
    };
    for (const source of this.stacks.flatMap((s) => s.eventSources)) {
      this.pollers.push(new EventSourcePoller(source, functionFor(source.function), this.clients.sqs, options.polling));
    }
    for (const source of this.stacks.flatMap((s) => s.streamEventSources)) {
      this.streamPollers.push(new StreamPoller(source, functionFor(source.function), this.clients.kinesis!, this.clients.sqs));
    }
    for (const source of this.stacks.flatMap((s) => s.rabbitMqEventSources)) {
      this.rabbitMqPollers.push(new RabbitMqPoller(source, functionFor(source.function), options.rabbitmq!.url));
    }
    await Promise.all(this.rabbitMqPollers.map((p) => p.start()));
    this.pollers.forEach((p) => p.start());
    await Promise.all(this.streamPollers.map((p) => p.start()));
  }
}

/** What Lambda's runtime would provide, pointed at the emulators. */
function localLambdaEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  // The directory that holds @aws-sdk/*: bundles leave the SDK out, as Lambda's runtime provides it.
  const sdkModules = path.resolve(require.resolve('@aws-sdk/client-sqs/package.json'), '..', '..', '..');
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: endpoints.fauxqs,
    AWS_ENDPOINT_URL_SNS: endpoints.fauxqs,
    // An IP-address endpoint: the SDK addresses buckets path-style, which fauxqs serves.
    AWS_ENDPOINT_URL_S3: endpoints.fauxqs,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...(endpoints.kinesis && { AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis }),
    NODE_PATH: sdkModules,
  };
}
