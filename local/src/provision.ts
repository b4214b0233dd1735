import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AssemblyStack, TemplateResource } from './cloud-assembly';
import { UnresolvableError } from './intrinsics';
import type { LocalStream, LocalStreamEventSource } from './kinesis-stream';
import { pseudoParameters } from './provisioners/arns';
import { BucketCreator } from './provisioners/buckets';
import { EventSourceMappingCreator } from './provisioners/event-source-mappings';
import { FunctionCreator } from './provisioners/functions';
import { PhysicalNames } from './provisioners/physical-names';
import type { ProvisioningPorts } from './provisioners/ports';
import { QueueCreator } from './provisioners/queues';
import { referencesOf, ResolvedReferences } from './provisioners/references';
import { emptyInventory, skip, type Creation, type CreationContext, type ResourceCreator } from './provisioners/resource-creator';
import { StreamCreator } from './provisioners/streams';
import { SubscriptionCreator } from './provisioners/subscriptions';
import { TableCreator } from './provisioners/tables';
import { TopicCreator } from './provisioners/topics';
import type { LocalRabbitMqEventSource, LocalRabbitMqOptions } from './rabbitmq-source';

/** The emulators' SDK clients, as `LocalDeployment` makes them; they are the ports `provisionStack` takes. */
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

/**
 * Creates a synthesized stack's SNS topics, SQS queues, subscriptions, DynamoDB tables, S3 buckets
 * and Kinesis streams on the emulators (given as ports: the SDK clients, or a test's fakes),
 * resolving `Ref` and `Fn::GetAtt` among them, and finds the Lambda functions and event source
 * mappings to run locally.
 */
export async function provisionStack(stack: AssemblyStack, ports: ProvisioningPorts, options: ProvisionOptions = {}): Promise<ProvisionedStack> {
  return new StackProvisioning(stack, ports, options).run();
}

/** The creator of each resource type something local stands for; other types are skipped. */
function resourceCreators(stack: AssemblyStack, ports: ProvisioningPorts, options: ProvisionOptions): ReadonlyMap<string, ResourceCreator> {
  const tables = new TableCreator(ports.dynamodb);
  return new Map<string, ResourceCreator>([
    ['AWS::SNS::Topic', new TopicCreator(ports.sns)],
    ['AWS::SQS::Queue', new QueueCreator(ports.sqs, stack.resources, options.maxVisibilityTimeoutSeconds)],
    ['AWS::SNS::Subscription', new SubscriptionCreator(ports.sns)],
    ['AWS::DynamoDB::Table', tables],
    ['AWS::DynamoDB::GlobalTable', tables],
    ['AWS::S3::Bucket', new BucketCreator(ports.s3)],
    ['AWS::Lambda::Function', new FunctionCreator(stack.assets)],
    ['AWS::Kinesis::Stream', new StreamCreator(ports.kinesis)],
    ['AWS::Lambda::EventSourceMapping', new EventSourceMappingCreator(stack.resources, options.rabbitmq !== undefined)],
  ]);
}

/**
 * One stack's provisioning. A resource is provisioned when first reached, from the template's
 * order or from a resource that refers to it, after what it refers to: dependencies come first
 * without a separate ordering pass. A cycle (CloudFormation refuses one too) stops provisioning with
 * an error that names it.
 */
class StackProvisioning {
  private readonly creators: ReadonlyMap<string, ResourceCreator>;
  private readonly references: ResolvedReferences;
  private readonly context: CreationContext;
  /** Logical id → its provisioning, started once. */
  private readonly started = new Map<string, Promise<void>>();
  /** Kind → how many were left out. */
  private readonly skipped = new Map<string, number>();

  constructor(private readonly stack: AssemblyStack, ports: ProvisioningPorts, options: ProvisionOptions) {
    this.creators = resourceCreators(stack, ports, options);
    this.references = new ResolvedReferences(pseudoParameters(stack.stackName));
    const ref = this.references.resolve;
    this.context = { ref, names: new PhysicalNames(stack.stackName, options.namePrefix ?? '', ref), made: emptyInventory() };
  }

  async run(): Promise<ProvisionedStack> {
    for (const logicalId of Object.keys(this.stack.resources)) {
      await this.provision(logicalId);
    }
    const { topics, queues, tables, buckets, eventSources, streams, streamEventSources, rabbitMqEventSources } = this.context.made;
    return { stackName: this.stack.stackName, topics, queues, tables, buckets, eventSources, streams, streamEventSources, skipped: this.skipped, rabbitMqEventSources };
  }

  /** `chain`: the resources that led here, each referring to the next; one that leads back to itself is a cycle. */
  private provision(logicalId: string, chain: readonly string[] = []): Promise<void> {
    const started = this.started.get(logicalId);
    if (started) {
      return started;
    }
    if (chain.includes(logicalId)) {
      throw new UnresolvableError(`circular reference: ${[...chain, logicalId].join(' → ')}`);
    }
    const provisioning = this.referencesThenResource(logicalId, [...chain, logicalId]);
    this.started.set(logicalId, provisioning);
    return provisioning;
  }

  private async referencesThenResource(logicalId: string, chain: readonly string[]): Promise<void> {
    const resource = this.stack.resources[logicalId];
    const targets = referencesOf(resource.Properties).filter((id) => id in this.stack.resources);
    await Promise.all(targets.map((id) => this.provision(id, chain)));
    const creation = await this.create(logicalId, resource);
    this.references.set(logicalId, creation.physical);
    if (creation.skipped !== undefined) {
      this.skipped.set(creation.skipped, (this.skipped.get(creation.skipped) ?? 0) + 1);
    }
  }

  /** A resource whose type has no creator, or that needs a value the local stack cannot resolve, is skipped; other errors name it. */
  private async create(logicalId: string, resource: TemplateResource): Promise<Creation> {
    const creator = this.creators.get(resource.Type);
    if (!creator) {
      return skip(resource.Type);
    }
    try {
      return await creator.create(logicalId, resource.Properties ?? {}, this.context);
    } catch (error) {
      if (error instanceof UnresolvableError) {
        return skip(`${resource.Type}(${logicalId}: ${error.message})`);
      }
      throw new Error(`${this.stack.stackName}/${logicalId} (${resource.Type}): ${(error as Error).message}`, { cause: error });
    }
  }
}
