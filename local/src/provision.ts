import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queuesOfTemplate } from '@cdk-fanout/runtime/names';
import type { AssemblyStack, TemplateResource } from './cloud-assembly';
import { LOCAL_REGION } from './emulators';
import { createBucketUnlessItExists, localBucketName, MAX_BUCKET_NAME_LENGTH } from './s3-bucket';
import { resolveString, resolveValue, UnresolvableError, type ReferenceResolver } from './intrinsics';
import { createStream, streamEventSourceOf, type LocalStream, type LocalStreamEventSource } from './kinesis-stream';
import { brokerEngineOf, rabbitMqEventSourceOf, type LocalRabbitMqEventSource, type LocalRabbitMqOptions } from './rabbitmq-source';

/** The account id fauxqs puts in every ARN and queue URL. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LocalClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
  /** kinesalite: set when the app has Kinesis streams. */
  readonly kinesis?: KinesisClient;
  /** fauxqs's S3 (path-style). */
  readonly s3: S3Client;
}

export interface LocalQueue {
  readonly logicalId: string;
  /** The literal tags of the template's queue: cdk-fanout's mark its consumer and role. */
  readonly tags: Readonly<Record<string, string>>;
  readonly url: string;
  readonly arn: string;
  readonly name: string;
  readonly fifo: boolean;
  readonly visibilityTimeoutSeconds: number;
  /** The dead-letter queue's ARN and maxReceiveCount, from the redrive policy. */
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

export interface LocalTopic {
  readonly logicalId: string;
  readonly arn: string;
  readonly name: string;
  readonly fifo: boolean;
}

export interface LocalFunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  /** The module file of the handler, inside the staged asset. */
  readonly entry: string;
  /** The exported name of the handler function. */
  readonly exportName: string;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
}

export interface LocalEventSource {
  readonly logicalId: string;
  readonly queue: LocalQueue;
  readonly function: LocalFunctionSpec;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Most invocations in flight at once (the mapping's `ScalingConfig.MaximumConcurrency`). */
  readonly maxConcurrency?: number;
  readonly reportBatchItemFailures: boolean;
}

/** What a stack became on the emulators. */
export interface ProvisionedStack {
  readonly stackName: string;
  readonly topics: ReadonlyMap<string, LocalTopic>;
  readonly queues: ReadonlyMap<string, LocalQueue>;
  /** Logical id → table name. */
  readonly tables: ReadonlyMap<string, string>;
  /** Logical id → bucket name (payload buckets, and any other S3 bucket of the stack). */
  readonly buckets: ReadonlyMap<string, string>;
  readonly eventSources: readonly LocalEventSource[];
  /** Logical id → Kinesis stream. */
  readonly streams: ReadonlyMap<string, LocalStream>;
  readonly streamEventSources: readonly LocalStreamEventSource[];
  /** Resources left out, by type: nothing local stands for them (alarms, dashboards, IAM…). */
  readonly skipped: ReadonlyMap<string, number>;
  /** Amazon MQ for RabbitMQ event source mappings, run against the broker of `rabbitmq.url`. */
  readonly rabbitMqEventSources: readonly LocalRabbitMqEventSource[];
}

export interface ProvisionOptions {
  /** Prepended to every physical name, so several copies of an app can share the emulators. */
  readonly namePrefix?: string;
  /**
   * Caps every queue's visibility timeout (seconds), so a failed message comes back in seconds
   * instead of the minutes a deployed queue waits: for demos.
   * @default - the template's visibility timeouts
   */
  readonly maxVisibilityTimeoutSeconds?: number;
  /**
   * The RabbitMQ broker that stands in for the app's Amazon MQ brokers.
   * @default - none: RabbitMQ event source mappings are skipped, and the skipped summary says so
   */
  readonly rabbitmq?: LocalRabbitMqOptions;
}

/** What one resource resolved to: its `Ref` and its `Fn::GetAtt` attributes. */
interface Physical {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

const NODE_RUNTIME = /^nodejs\d+\.x$/;

/**
 * Creates a synthesized stack's SNS topics, SQS queues, subscriptions, DynamoDB tables and S3
 * buckets on the emulators, resolving `Ref` and `Fn::GetAtt` among them, and finds the Lambda functions and
 * SQS event source mappings to run locally. A resource is created when first referenced or
 * reached, so dependencies come first without a separate ordering pass.
 */
export async function provisionStack(stack: AssemblyStack, clients: LocalClients, options: ProvisionOptions = {}): Promise<ProvisionedStack> {
  const prefix = options.namePrefix ?? '';
  const physical = new Map<string, Promise<Physical | undefined>>();
  const topics = new Map<string, LocalTopic>();
  const queues = new Map<string, LocalQueue>();
  const tables = new Map<string, string>();
  const buckets = new Map<string, string>();
  const functions = new Map<string, LocalFunctionSpec>();
  const eventSources: LocalEventSource[] = [];
  const rabbitMqEventSources: LocalRabbitMqEventSource[] = [];
  const streams = new Map<string, LocalStream>();
  const streamEventSources: LocalStreamEventSource[] = [];
  const skipped = new Map<string, number>();
  const resolved = new Map<string, Physical | undefined>();

  const pseudo: Record<string, string> = {
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT_ID,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stack.stackName,
    'AWS::StackId': `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stack/${stack.stackName}/local`,
  };

  // Resolution is synchronous, so references are provisioned first (see `prepare`) and read here.
  const ref: ReferenceResolver = (logicalId, attribute) => {
    if (!attribute && logicalId in pseudo) {
      return pseudo[logicalId];
    }
    const target = resolved.get(logicalId);
    if (!target) {
      // A resource with no local stand-in (a KMS key, an IAM role): a placeholder keeps the value a string.
      return `local-unresolved:${logicalId}${attribute ? `.${attribute}` : ''}`;
    }
    if (!attribute) {
      return target.ref;
    }
    const value = target.attributes[attribute];
    if (value === undefined) {
      throw new UnresolvableError(`${logicalId}.${attribute} is not known to the local stack`);
    }
    return value;
  };

  const physicalName = (logicalId: string, given: unknown, maxLength: number, suffix = '') => {
    const base = given === undefined ? `${stack.stackName}-${logicalId}` : resolveString(given, ref).replace(/\.fifo$/, '');
    return `${prefix}${base}`.slice(0, maxLength - suffix.length) + suffix;
  };

  const queueTags = new Map(queuesOfTemplate({ Resources: stack.resources }).map((queue) => [queue.logicalId, queue.tags]));

  const creators: Record<string, (logicalId: string, props: Record<string, unknown>) => Promise<Physical | undefined>> = {
    'AWS::SNS::Topic': async (logicalId, props) => {
      const fifo = props.FifoTopic === true || props.FifoTopic === 'true';
      const name = physicalName(logicalId, props.TopicName, 256, fifo ? '.fifo' : '');
      const attributes: Record<string, string> = {};
      if (fifo) {
        attributes.FifoTopic = 'true';
        attributes.ContentBasedDeduplication = String(props.ContentBasedDeduplication ?? false);
      }
      const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
      topics.set(logicalId, { logicalId, arn: TopicArn!, name, fifo });
      return { ref: TopicArn!, attributes: { TopicArn: TopicArn!, TopicName: name } };
    },
    'AWS::SQS::Queue': async (logicalId, props) => {
      const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
      const name = physicalName(logicalId, props.QueueName, 80, fifo ? '.fifo' : '');
      const attributes: Record<string, string> = {};
      for (const key of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']) {
        if (props[key] !== undefined) {
          attributes[key] = resolveString(props[key], ref);
        }
      }
      if (fifo) {
        attributes.FifoQueue = 'true';
      }
      if (options.maxVisibilityTimeoutSeconds !== undefined) {
        attributes.VisibilityTimeout = String(Math.min(Number(attributes.VisibilityTimeout ?? 30), options.maxVisibilityTimeoutSeconds));
      }
      const redrive = props.RedrivePolicy === undefined
        ? undefined
        : resolveValue(typeof props.RedrivePolicy === 'string' ? JSON.parse(props.RedrivePolicy) : props.RedrivePolicy, ref) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
      if (redrive) {
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount) });
      }
      const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }));
      const queue: LocalQueue = {
        logicalId,
        tags: queueTags.get(logicalId) ?? {},
        url: QueueUrl!,
        arn: Attributes!.QueueArn!,
        name,
        fifo,
        visibilityTimeoutSeconds: Number(Attributes!.VisibilityTimeout ?? 30),
        redrive: redrive && { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount) },
      };
      queues.set(logicalId, queue);
      return { ref: queue.url, attributes: { Arn: queue.arn, QueueName: name, QueueUrl: queue.url } };
    },
    'AWS::SNS::Subscription': async (_logicalId, props) => {
      if (props.Protocol !== 'sqs') {
        return skip(`AWS::SNS::Subscription(${String(props.Protocol)})`);
      }
      const attributes: Record<string, string> = {};
      for (const key of ['RawMessageDelivery', 'FilterPolicyScope']) {
        if (props[key] !== undefined) {
          attributes[key] = resolveString(props[key], ref);
        }
      }
      for (const key of ['FilterPolicy', 'RedrivePolicy']) {
        if (props[key] !== undefined) {
          const value = resolveValue(props[key], ref);
          attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
        }
      }
      const { SubscriptionArn } = await clients.sns.send(new SubscribeCommand({
        TopicArn: resolveString(props.TopicArn, ref),
        Protocol: 'sqs',
        Endpoint: resolveString(props.Endpoint, ref),
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }));
      return { ref: SubscriptionArn!, attributes: {} };
    },
    'AWS::DynamoDB::Table': (logicalId, props) => createTable(logicalId, props),
    'AWS::S3::Bucket': async (logicalId, props) => {
      const name = localBucketName(physicalName(logicalId, props.BucketName, MAX_BUCKET_NAME_LENGTH));
      await createBucketUnlessItExists(clients.s3, name);
      buckets.set(logicalId, name);
      return { ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com` } };
    },
    'AWS::DynamoDB::GlobalTable': (logicalId, props) => createTable(logicalId, props),
    'AWS::Lambda::Function': async (logicalId, props) => {
      const runtime = String(props.Runtime ?? '');
      const entry = NODE_RUNTIME.test(runtime) ? handlerEntry(stack, props) : undefined;
      if (!entry) {
        return skip(`AWS::Lambda::Function(${runtime || 'container image'})`);
      }
      const name = physicalName(logicalId, props.FunctionName, 64);
      const variables = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      functions.set(logicalId, {
        logicalId,
        name,
        ...entry,
        timeoutSeconds: Number(props.Timeout ?? 3),
        environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolveString(v, ref)])),
      });
      return { ref: name, attributes: { Arn: functionArn(name) } };
    },
    'AWS::Kinesis::Stream': async (logicalId, props) => {
      if (!clients.kinesis) {
        throw new Error('the stack has a Kinesis stream and no Kinesis client was given (LocalClients.kinesis)');
      }
      const stream = await createStream(clients.kinesis, logicalId, physicalName(logicalId, props.Name, 128), props);
      streams.set(logicalId, stream);
      return { ref: stream.name, attributes: { Arn: stream.arn } };
    },
    'AWS::Lambda::EventSourceMapping': async (logicalId, props) => {
      const target = functions.get(String((props.FunctionName as { Ref?: string } | undefined)?.Ref));
      const rabbitMq = target && props.Enabled !== false ? rabbitMqEventSourceOf(logicalId, resolveValue(props, ref) as Record<string, unknown>, target, brokerEngineOf(stack.resources, props.EventSourceArn)) : undefined;
      if (rabbitMq) {
        if (!options.rabbitmq) {
          return skip(`AWS::Lambda::EventSourceMapping(RabbitMQ queue ${rabbitMq.queue}: no broker, give one as rabbitmq: { url } or fanout local --rabbitmq-url)`);
        }
        rabbitMqEventSources.push(rabbitMq);
        return { ref: logicalId, attributes: {} };
      }
      const queue = [...queues.values()].find((q) => q.arn === resolveString(props.EventSourceArn, ref));
      const fn = functions.get(String((props.FunctionName as { Ref?: string } | undefined)?.Ref));
      const stream = [...streams.values()].find((s) => s.arn === resolveString(props.EventSourceArn, ref));
      if (stream && fn && props.Enabled !== false) {
        const onFailureArn = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
        const onFailure = onFailureArn === undefined ? undefined : [...queues.values()].find((q) => q.arn === resolveString(onFailureArn, ref));
        if (onFailureArn !== undefined && !onFailure) {
          skip('Kinesis on-failure destination(not an SQS queue of the app: given-up records are counted, not described)');
        }
        streamEventSources.push(streamEventSourceOf(logicalId, resolveValue(props, ref) as Record<string, unknown>, stream, fn, onFailure));
        return { ref: logicalId, attributes: {} };
      }
      if (!queue || !fn || props.Enabled === false) {
        return skip('AWS::Lambda::EventSourceMapping(not an enabled SQS or Kinesis mapping of a local function)');
      }
      eventSources.push({
        logicalId,
        queue,
        function: fn,
        batchSize: Number(props.BatchSize ?? 10),
        maxBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
        maxConcurrency: (props.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency,
        reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
      });
      return { ref: logicalId, attributes: {} };
    },
  };

  async function createTable(logicalId: string, props: Record<string, unknown>): Promise<Physical> {
    const name = physicalName(logicalId, props.TableName, 255);
    const input = resolveValue({
      TableName: name,
      KeySchema: props.KeySchema,
      AttributeDefinitions: props.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes as Array<Record<string, unknown>> | undefined)
        ?.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
      LocalSecondaryIndexes: props.LocalSecondaryIndexes,
    }, ref) as CreateTableCommandInput;
    await createTableUnlessItExists(clients.dynamodb, input);
    tables.set(logicalId, name);
    return { ref: name, attributes: { Arn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${name}`, StreamArn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${name}/stream/local` } };
  }

  function skip(kind: string): undefined {
    skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
    return undefined;
  }

  // Provisions what a resource refers to first, then the resource itself.
  function prepare(logicalId: string, chain: readonly string[] = []): Promise<Physical | undefined> {
    const existing = physical.get(logicalId);
    if (existing) {
      return existing;
    }
    if (chain.includes(logicalId)) {
      throw new UnresolvableError(`circular reference: ${[...chain, logicalId].join(' → ')}`);
    }
    const resource = stack.resources[logicalId];
    const promise = (async () => {
      await Promise.all(referencesOf(resource).filter((id) => id in stack.resources).map((id) => prepare(id, [...chain, logicalId])));
      const creator = creators[resource.Type];
      if (!creator) {
        return skip(resource.Type);
      }
      try {
        return await creator(logicalId, resource.Properties ?? {});
      } catch (error) {
        if (error instanceof UnresolvableError) {
          return skip(`${resource.Type}(${logicalId}: ${error.message})`);
        }
        throw new Error(`${stack.stackName}/${logicalId} (${resource.Type}): ${(error as Error).message}`, { cause: error });
      }
    })().then((result) => {
      resolved.set(logicalId, result);
      return result;
    });
    physical.set(logicalId, promise);
    return promise;
  }

  for (const logicalId of Object.keys(stack.resources)) {
    await prepare(logicalId);
  }
  return { stackName: stack.stackName, topics, queues, tables, buckets, eventSources, streams, streamEventSources, skipped, rabbitMqEventSources };
}

/** The ARN of a local function, as `Fn::GetAtt [fn, Arn]` gives it. */
export function functionArn(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;
}

/** Every logical id a resource's properties name in Ref, Fn::GetAtt or Fn::Sub. */
function referencesOf(resource: TemplateResource): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Ref') {
          found.add(String(inner));
        } else if (key === 'Fn::GetAtt') {
          found.add(String(Array.isArray(inner) ? inner[0] : String(inner).split('.')[0]));
        } else if (key === 'Fn::Sub') {
          const text = Array.isArray(inner) ? String(inner[0]) : String(inner);
          for (const match of text.matchAll(/\$\{([^}!.]+)[^}]*\}/g)) {
            found.add(match[1]);
          }
        }
        visit(inner);
      }
    }
  };
  visit(resource.Properties);
  return [...found];
}

/** The staged asset's handler module: `index.handler` → `<asset>/index.js`, export `handler`. */
function handlerEntry(stack: AssemblyStack, props: Record<string, unknown>): { entry: string; exportName: string } | undefined {
  const code = props.Code as { S3Key?: unknown } | undefined;
  const key = typeof code?.S3Key === 'string' ? code.S3Key.replace(/\.zip$/, '') : undefined;
  const assetDir = key && stack.assets.get(key);
  const handler = String(props.Handler ?? '');
  const dot = handler.lastIndexOf('.');
  if (!assetDir || dot < 1) {
    return undefined;
  }
  return { entry: path.join(assetDir, handler.slice(0, dot)), exportName: handler.slice(dot + 1) };
}

/**
 * Creates a table; one that already exists (the app ran on these emulators before) is kept with
 * its items, as a redeployment keeps a table. Topics, queues and subscriptions are idempotent
 * to create already.
 */
async function createTableUnlessItExists(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
}
