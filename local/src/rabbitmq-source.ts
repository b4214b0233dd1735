import type { ConsumeMessage } from 'amqplib';
import { LOCAL_REGION } from './emulators';
import type { LocalFunctionSpec } from './provision';
import { LOCAL_ACCOUNT_ID } from './provisioners/arns';

/** Where the local stack finds the RabbitMQ broker an Amazon MQ event source mapping reads (Amazon MQ has no local stand-in). */
export interface LocalRabbitMqOptions {
  /**
   * The AMQP URL of a running RabbitMQ broker (`amqp://user:password@127.0.0.1:5672`), standing
   * in for every `AWS::AmazonMQ::Broker` the app's mappings read. Its credentials are used (the
   * mapping's Secrets Manager secret is not read); the virtual host is the mapping's own.
   */
  readonly url: string;
}

/** An Amazon MQ for RabbitMQ event source mapping of the template, as the local poller runs it. */
export interface LocalRabbitMqEventSource {
  readonly logicalId: string;
  readonly function: LocalFunctionSpec;
  /** The event's `eventSourceArn`: the broker's ARN (a local one when the broker is in the template). */
  readonly brokerArn: string;
  readonly queue: string;
  readonly virtualHost: string;
  /** Messages per invocation (`BatchSize`; Lambda's default 100). */
  readonly batchSize: number;
  /** `MaximumBatchingWindowInSeconds`; Lambda's default for Amazon MQ is 0.5 s. */
  readonly maxBatchingWindowSeconds: number;
}

interface SourceAccessConfiguration {
  readonly Type?: string;
  readonly URI?: string;
}

/**
 * The RabbitMQ event source of a resolved `AWS::Lambda::EventSourceMapping`, or undefined when it
 * is not one: a mapping with `Queues` whose source access configurations name a `VIRTUAL_HOST`
 * (only RabbitMQ has virtual hosts) or whose broker is a RABBITMQ `AWS::AmazonMQ::Broker`.
 */
export function rabbitMqEventSourceOf(logicalId: string, props: Record<string, unknown>, fn: LocalFunctionSpec, brokerEngine: string | undefined): LocalRabbitMqEventSource | undefined {
  const queues = props.Queues as unknown;
  const access = (props.SourceAccessConfigurations as SourceAccessConfiguration[] | undefined) ?? [];
  const virtualHost = access.find((entry) => entry.Type === 'VIRTUAL_HOST')?.URI;
  if (!Array.isArray(queues) || queues.length !== 1 || (virtualHost === undefined && brokerEngine?.toUpperCase() !== 'RABBITMQ')) return undefined;
  const arn = String(props.EventSourceArn ?? '');
  return {
    logicalId,
    function: fn,
    // A broker of the template has no local ARN (nothing provisions it): one in Amazon MQ's form stands in.
    brokerArn: arn.startsWith('arn:') ? arn : `arn:aws:mq:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:broker:${logicalId}:b-local`,
    queue: String(queues[0]),
    virtualHost: virtualHost ?? '/',
    batchSize: Number(props.BatchSize ?? 100),
    maxBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0.5),
  };
}

/** The URL of the mapping's virtual host on the broker at `url` (its credentials, host and port). */
export function virtualHostUrl(url: string, virtualHost: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(virtualHost)}`;
  return parsed.toString();
}

/**
 * One message as Lambda's RabbitMQ event carries it: `basicProperties` (string headers as
 * `{ bytes }`, the timestamp as Lambda formats it, `bodySize`), `redelivered`, base64 `data`.
 */
export function lambdaRabbitMqMessage(message: ConsumeMessage) {
  const p = message.properties;
  return {
    basicProperties: {
      contentType: p.contentType ?? null,
      contentEncoding: p.contentEncoding ?? null,
      headers: Object.fromEntries(Object.entries(p.headers ?? {}).map(([name, value]) => [name, lambdaHeader(value)])),
      deliveryMode: p.deliveryMode ?? null,
      priority: p.priority ?? null,
      correlationId: p.correlationId ?? null,
      replyTo: p.replyTo ?? null,
      expiration: p.expiration ?? null,
      messageId: p.messageId ?? null,
      timestamp: typeof p.timestamp === 'number' ? lambdaTimestamp(p.timestamp) : null,
      type: p.type ?? null,
      userId: p.userId ?? null,
      appId: p.appId ?? null,
      clusterId: p.clusterId ?? null,
      bodySize: message.content.length,
    },
    redelivered: message.fields.redelivered,
    data: message.content.toString('base64'),
  };
}

/** Lambda's event shows string (long string) headers as their bytes. */
function lambdaHeader(value: unknown): unknown {
  if (typeof value === 'string') return { bytes: [...Buffer.from(value, 'utf8')] };
  if (Buffer.isBuffer(value)) return { bytes: [...value] };
  return value;
}

/** `Nov 30, 2026, 1:00:00 AM` (UTC): the form of Lambda's RabbitMQ event, from the property's epoch seconds. */
function lambdaTimestamp(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).replace(/\u202f/g, ' ');
}

/** The `EngineType` of the `AWS::AmazonMQ::Broker` a mapping's `EventSourceArn` refers to (`Ref` or `Fn::GetAtt`), if it is in the template. */
export function brokerEngineOf(resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>>, eventSourceArn: unknown): string | undefined {
  const reference = eventSourceArn as { Ref?: unknown; 'Fn::GetAtt'?: unknown } | undefined;
  const getAtt = reference?.['Fn::GetAtt'];
  const id = reference?.Ref ?? (Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined);
  const broker = typeof id === 'string' ? resources[id] : undefined;
  return broker?.Type === 'AWS::AmazonMQ::Broker' && typeof broker.Properties?.EngineType === 'string' ? broker.Properties.EngineType : undefined;
}
