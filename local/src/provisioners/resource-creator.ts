/*
 * What every resource creator implements and is given. A creator provisions the resources of one
 * CloudFormation type (or a family of them), records what it made in the stack's inventory, and
 * answers what the resource resolves to, or why nothing local stands for it.
 */
import type { ReferenceResolver } from '../intrinsics';
import type { LocalStream, LocalStreamEventSource } from '../kinesis-stream';
import type { LocalEventSource, LocalFunctionSpec, LocalQueue, LocalTopic } from '../provision';
import type { LocalRabbitMqEventSource } from '../rabbitmq-source';
import type { PhysicalNames } from './physical-names';
import type { Physical } from './references';

/** What the creators made of a stack so far: the result being collected, and what later resources look up (a mapping's queue, function or stream). */
export interface StackInventory {
  readonly topics: Map<string, LocalTopic>;
  readonly queues: Map<string, LocalQueue>;
  /** Logical id → table name. */
  readonly tables: Map<string, string>;
  /** Logical id → bucket name. */
  readonly buckets: Map<string, string>;
  readonly functions: Map<string, LocalFunctionSpec>;
  readonly streams: Map<string, LocalStream>;
  readonly eventSources: LocalEventSource[];
  readonly streamEventSources: LocalStreamEventSource[];
  readonly rabbitMqEventSources: LocalRabbitMqEventSource[];
}

export function emptyInventory(): StackInventory {
  return { topics: new Map(), queues: new Map(), tables: new Map(), buckets: new Map(), functions: new Map(), streams: new Map(), eventSources: [], streamEventSources: [], rabbitMqEventSources: [] };
}

/** What a creator is given besides the resource. */
export interface CreationContext {
  /** Resolves `Ref` and `Fn::GetAtt`; what the resource refers to is provisioned already. */
  readonly ref: ReferenceResolver;
  readonly names: PhysicalNames;
  readonly made: StackInventory;
}

/**
 * What became of one resource: what it resolves to when something local stands for it, and what
 * was left out (the kind, as the skipped line counts it): the whole resource, or a part of a made one.
 */
export type Creation =
  | { readonly physical: Physical; readonly skipped?: string }
  | { readonly physical?: undefined; readonly skipped: string };

/** Made; `skippedPart` names a part left out. */
export function created(physical: Physical, skippedPart?: string): Creation {
  return skippedPart === undefined ? { physical } : { physical, skipped: skippedPart };
}

/** Nothing local stands for the resource. */
export function skip(kind: string): Creation {
  return { skipped: kind };
}

export interface ResourceCreator {
  /**
   * Provisions one resource. Throws `UnresolvableError` when its properties need a value the
   * local stack cannot resolve (the resource is then skipped); any other error stops provisioning.
   */
  create(logicalId: string, props: Record<string, unknown>, context: CreationContext): Promise<Creation>;
}
