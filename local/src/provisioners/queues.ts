import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { queuesOfTemplate } from '@cdk-fanout/runtime/names';
import type { AssemblyStack } from '../cloud-assembly';
import { resolveValue, type ReferenceResolver } from '../intrinsics';
import type { LocalQueue } from '../provision';
import type { SqsPort } from './ports';
import { isTrue, stringProperties } from './properties';
import { created, type Creation, type CreationContext, type ResourceCreator } from './resource-creator';

/** SQS's longest queue name. */
const MAX_QUEUE_NAME_LENGTH = 80;

/** The template's queue properties that are CreateQueue attributes of the same name. */
const QUEUE_ATTRIBUTES = ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'];

/** SQS's default visibility timeout, seconds. */
const DEFAULT_VISIBILITY_TIMEOUT = 30;

type Redrive = NonNullable<LocalQueue['redrive']>;

/** `AWS::SQS::Queue`: created on fauxqs with its attributes and redrive policy (creating a queue that exists returns it). */
export class QueueCreator implements ResourceCreator {
  /** The literal tags of the template's queues, by logical id: cdk-fanout's mark a queue's consumer and role. */
  private readonly tags: ReadonlyMap<string, Readonly<Record<string, string>>>;

  /** `maxVisibilityTimeoutSeconds` caps every queue's visibility timeout (`ProvisionOptions`). */
  constructor(private readonly sqs: SqsPort, resources: AssemblyStack['resources'], private readonly maxVisibilityTimeoutSeconds: number | undefined) {
    this.tags = new Map(queuesOfTemplate({ Resources: resources }).map((queue) => [queue.logicalId, queue.tags]));
  }

  async create(logicalId: string, props: Record<string, unknown>, { ref, names, made }: CreationContext): Promise<Creation> {
    const fifo = isTrue(props.FifoQueue);
    const name = names.of(logicalId, props.QueueName, MAX_QUEUE_NAME_LENGTH, fifo ? '.fifo' : '');
    const { attributes, redrive } = queueSettings(props, fifo, ref, this.maxVisibilityTimeoutSeconds);
    const { QueueUrl } = await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const { Attributes } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }));
    const queue: LocalQueue = {
      logicalId,
      tags: this.tags.get(logicalId) ?? {},
      url: QueueUrl!,
      arn: Attributes!.QueueArn!,
      name,
      fifo,
      visibilityTimeoutSeconds: Number(Attributes!.VisibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT),
      redrive,
    };
    made.queues.set(logicalId, queue);
    return created({ ref: queue.url, attributes: { Arn: queue.arn, QueueName: name, QueueUrl: queue.url } });
  }
}

/** The CreateQueue attributes of a template's queue, its visibility timeout capped at `maxVisibilityTimeoutSeconds`, and its redrive policy. */
function queueSettings(props: Record<string, unknown>, fifo: boolean, ref: ReferenceResolver, maxVisibilityTimeoutSeconds: number | undefined): { attributes: Record<string, string>; redrive?: Redrive } {
  const attributes = stringProperties(props, QUEUE_ATTRIBUTES, ref);
  if (fifo) {
    attributes.FifoQueue = 'true';
  }
  if (maxVisibilityTimeoutSeconds !== undefined) {
    attributes.VisibilityTimeout = String(Math.min(Number(attributes.VisibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT), maxVisibilityTimeoutSeconds));
  }
  const redrive = redriveOf(props, ref);
  if (redrive) {
    attributes.RedrivePolicy = JSON.stringify(redrive);
  }
  return { attributes, redrive };
}

/** The queue's redrive policy (a JSON string or an object in templates), resolved. */
function redriveOf(props: Record<string, unknown>, ref: ReferenceResolver): Redrive | undefined {
  if (props.RedrivePolicy === undefined) {
    return undefined;
  }
  const policy = resolveValue(typeof props.RedrivePolicy === 'string' ? JSON.parse(props.RedrivePolicy) : props.RedrivePolicy, ref) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
  return { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount: Number(policy.maxReceiveCount) };
}
