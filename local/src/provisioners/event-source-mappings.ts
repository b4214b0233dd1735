import type { AssemblyStack } from '../cloud-assembly';
import { resolveString, resolveValue, type ReferenceResolver } from '../intrinsics';
import { streamEventSourceOf, type LocalStream } from '../kinesis-stream';
import type { LocalEventSource, LocalFunctionSpec, LocalQueue } from '../provision';
import { brokerEngineOf, rabbitMqEventSourceOf } from '../rabbitmq-source';
import { refTarget } from './properties';
import { created, skip, type Creation, type CreationContext, type ResourceCreator, type StackInventory } from './resource-creator';

/** SQS's default batch size for Lambda. */
const DEFAULT_SQS_BATCH_SIZE = 10;

/**
 * `AWS::Lambda::EventSourceMapping` of a local function, enabled: recorded for a poller, by what it
 * reads (a RabbitMQ queue, a Kinesis stream or an SQS queue of the app). Anything else is skipped.
 */
export class EventSourceMappingCreator implements ResourceCreator {
  /**
   * `resources`: the template's, where a RabbitMQ mapping's broker is found;
   * `brokerGiven`: whether a RabbitMQ broker stands in for Amazon MQ (`ProvisionOptions.rabbitmq`).
   */
  constructor(private readonly resources: AssemblyStack['resources'], private readonly brokerGiven: boolean) {}

  async create(logicalId: string, props: Record<string, unknown>, { ref, made }: CreationContext): Promise<Creation> {
    const functionId = refTarget(props.FunctionName);
    const fn = functionId === undefined ? undefined : made.functions.get(functionId);
    const enabled = props.Enabled !== false;
    const rabbitMq = fn && enabled ? rabbitMqEventSourceOf(logicalId, resolveValue(props, ref) as Record<string, unknown>, fn, brokerEngineOf(this.resources, props.EventSourceArn)) : undefined;
    if (rabbitMq) {
      if (!this.brokerGiven) {
        return skip(`AWS::Lambda::EventSourceMapping(RabbitMQ queue ${rabbitMq.queue}: no broker, give one as rabbitmq: { url } or fanout local --rabbitmq-url)`);
      }
      made.rabbitMqEventSources.push(rabbitMq);
      return created(mappingPhysical(logicalId));
    }
    const readsFrom = (arn: string) => arn === resolveString(props.EventSourceArn, ref);
    const queue = [...made.queues.values()].find((q) => readsFrom(q.arn));
    const stream = [...made.streams.values()].find((s) => readsFrom(s.arn));
    if (stream && fn && enabled) {
      return this.streamMapping(logicalId, props, stream, fn, ref, made);
    }
    if (!queue || !fn || !enabled) {
      return skip('AWS::Lambda::EventSourceMapping(not an enabled SQS or Kinesis mapping of a local function)');
    }
    made.eventSources.push(sqsEventSourceOf(logicalId, props, queue, fn));
    return created(mappingPhysical(logicalId));
  }

  /** A Kinesis mapping; an on-failure destination that is no queue of the app is counted in the skipped line. */
  private streamMapping(logicalId: string, props: Record<string, unknown>, stream: LocalStream, fn: LocalFunctionSpec, ref: ReferenceResolver, made: StackInventory): Creation {
    const onFailureArn = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
    const onFailure = onFailureArn === undefined ? undefined : [...made.queues.values()].find((q) => q.arn === resolveString(onFailureArn, ref));
    made.streamEventSources.push(streamEventSourceOf(logicalId, resolveValue(props, ref) as Record<string, unknown>, stream, fn, onFailure));
    const unusedDestination = onFailureArn !== undefined && !onFailure;
    return created(mappingPhysical(logicalId), unusedDestination ? 'Kinesis on-failure destination(not an SQS queue of the app: given-up records are counted, not described)' : undefined);
  }
}

/** A mapping's `Ref` is its id; the logical id stands in. */
function mappingPhysical(logicalId: string) {
  return { ref: logicalId, attributes: {} };
}

/** The local form of an SQS mapping's properties, with Lambda's defaults. */
function sqsEventSourceOf(logicalId: string, props: Record<string, unknown>, queue: LocalQueue, fn: LocalFunctionSpec): LocalEventSource {
  return {
    logicalId,
    queue,
    function: fn,
    batchSize: Number(props.BatchSize ?? DEFAULT_SQS_BATCH_SIZE),
    maxBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
    maxConcurrency: (props.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency,
    reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
  };
}
