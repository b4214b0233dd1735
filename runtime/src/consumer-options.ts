import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { lazy } from './lazy.js';
import { describeValue } from './describe-value.js';
import { integerInRange } from './option-range.js';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { SQSRecord } from 'aws-lambda';
import { ENV_CONSUMER_NAME, ENV_DLQ_URL, ENV_IDEMPOTENCY_TABLE, ENVELOPE_VERSION } from './names.js';
import type { Envelope } from './envelope.js';
import type { Logger } from './logger.js';
import type { MetricsOptions } from './metrics.js';
import { defaultClientConfig } from './client-config.js';
import { resolveEnvironment } from './environment.js';
import { S3PayloadStore, type PayloadStore } from './payload-store.js';
import { checkLargePayloadsOption, checkSdkClient } from './publisher-options.js';

/** What a handler gets besides the validated data. */
export interface HandlerContext {
  /** The whole envelope: id, type, version, timestamp, source, correlationId, data (unvalidated). */
  readonly envelope: Envelope;
  /** The SQS record as Lambda delivered it. */
  readonly record: SQSRecord;
  /**
   * The producer's message attributes (`type`, `version`, `source`, …) as strings, binary ones
   * base64; the same under raw delivery and under an SNS-wrapped body.
   */
  readonly attributes: Readonly<Record<string, string>>;
  /** Milliseconds this invocation has left; `Infinity` without a Lambda context. */
  remainingTimeMs(): number;
  /** The consumer's logger, adding this record's message id, envelope id and type to every line. */
  readonly logger: Logger;
  /**
   * Aborted when this invocation no longer holds the envelope's idempotency claim: its lock could
   * not be extended before it ran out, or another invocation took the record over. Stop then (pass
   * it on to `fetch`, or as `abortSignal` to AWS SDK calls): the record is not marked processed,
   * its `ctx.transact` writes are dropped, and it is retried. Never aborted without idempotency,
   * nor for a handler with `claim: 'at-commit'` (it holds no lock).
   */
  readonly signal: AbortSignal;
  /**
   * Queues DynamoDB writes to commit in one `TransactWriteItems` together with marking this
   * envelope processed, after `handle` returns: the effect and "processed" become one atomic
   * step. If the transaction fails, none of it applies and the record is retried. At most 99
   * items per record (DynamoDB's 100 minus the completion). Needs idempotency; throws without it.
   * Writes are only queued: the runtime sees that a handler used it once the handler returned.
   */
  transact(...items: TransactWriteItem[]): void;
}

/** The handler for one envelope type; `S` is the type of its schema (inferred). */
export interface TypeHandler<S = unknown> {
  /**
   * Any Standard Schema (zod, valibot, arktype, …) for `data`; its output is what `handle`
   * receives. Data that fails it is poison (`schema`). Without a schema `data` is passed as is.
   * @default no validation
   */
  readonly schema?: S & StandardSchemaV1;
  /**
   * Envelope versions this handler accepts; any other is poison (`unsupported-version`).
   * @default ['1']
   */
  readonly versions?: readonly string[];
  /**
   * When the envelope's idempotency record is written (with idempotency on).
   *
   * - `'first'`: claimed (IN_PROGRESS, under a lock) before `handle` runs, marked COMPLETED after.
   *   At most one invocation runs `handle` for an envelope at a time; a duplicate delivered
   *   meanwhile is retried later. Right for any handler.
   * - `'at-commit'`: no claim. `handle` runs, and its `ctx.transact` writes commit in one
   *   `TransactWriteItems` together with the COMPLETED record, on the condition that none exists:
   *   one request per record, no lock, nothing to release. A duplicate delivered at the same time
   *   also runs `handle`, but its transaction is cancelled, so the writes apply once. Only for
   *   handlers whose effects are all in `ctx.transact`: anything else they do (an API call, a
   *   message, a write of their own) may happen once per delivery.
   * @default 'first'
   */
  readonly claim?: ClaimMode;
  /**
   * Does the work. Return (or resolve; the value is ignored) to mark the envelope processed;
   * throw to have it retried (the claim is released), or throw `PoisonMessageError` for a
   * failure retrying cannot fix.
   */
  handle(data: SchemaOutput<S>, ctx: HandlerContext): unknown;
}

/** When a handler's idempotency record is written: see `TypeHandler.claim`. */
export type ClaimMode = 'first' | 'at-commit';

/** What a handler receives: the schema's output, or the raw data when there is no schema. */
export type SchemaOutput<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown;

/** Idempotency on a DynamoDB table (see `IdempotencyTable` in the constructs). */
export interface IdempotencyOptions {
  /**
   * The table: partition key `pk` (string), TTL attribute `expiresAt`.
   * @default the environment variable FANOUT_IDEMPOTENCY_TABLE
   */
  readonly tableName?: string;
  /**
   * The DynamoDB client.
   * @default a client for the Lambda's region, created once per container
   */
  readonly client?: DynamoDBClient;
  /**
   * How long a processed envelope id is remembered, in seconds: a duplicate arriving later is
   * processed again. Becomes the `expiresAt` TTL. An integer from 1 to 31622400 (366 days).
   * @default 86400 (24 hours)
   */
  readonly expiresAfterSeconds?: number;
  /**
   * How long a claim blocks other invocations, in milliseconds, when the remaining Lambda time
   * is unknown or 0. Otherwise the lock lasts the invocation's remaining time (at most 15 min).
   * An integer from 100 to 900000.
   * @default 60000
   */
  readonly lockFallbackMs?: number;
  /**
   * How many completed envelope ids each container remembers in memory, so a duplicate at a
   * warm container costs no DynamoDB request. 0 turns the cache off; at most 1000000.
   * @default 0
   */
  readonly localCacheMaxItems?: number;
  /**
   * Claims, completions and releases of a batch's records in shared requests: new ids claimed by
   * BatchExecuteStatements of up to 25 conditional INSERTs, the ids already taken read in one
   * consistent BatchGetItem, completions and releases as fenced PartiQL UPDATEs and DELETEs, up to
   * 25 per request. `false`: one request per record and step. The function's role needs
   * `dynamodb:PartiQLInsert`, `dynamodb:PartiQLUpdate`, `dynamodb:PartiQLDelete` and
   * `dynamodb:BatchGetItem` on the table besides the single-item actions; without them the first
   * refused request turns batching off for the container (with a warning).
   * @default true
   */
  readonly batching?: boolean;
}

/** Options of `createConsumer`. `H` maps each envelope type to its schema type. */
export interface CreateConsumerOptions<H extends Record<string, unknown> = Record<string, unknown>> {
  /** The handler per envelope `type`. */
  readonly handlers: { readonly [K in keyof H]: TypeHandler<H[K]> };
  /**
   * This consumer's name: the scope of its idempotency keys (`<consumer>#<envelope id>`), a log
   * field and the metrics dimension. Required when idempotency is on.
   * @default the environment variable FANOUT_CONSUMER_NAME
   */
  readonly consumerName?: string;
  /**
   * Idempotency settings, or `false` to turn it off.
   * @default on when FANOUT_IDEMPOTENCY_TABLE is set, with the defaults of `IdempotencyOptions`
   */
  readonly idempotency?: IdempotencyOptions | false;
  /**
   * The queue poison records are sent to, with `fanout.error` / `fanout.reason` attributes.
   * Without one, poison is reported as a batch item failure and SQS moves it after
   * maxReceiveCount.
   * @default the environment variable FANOUT_DLQ_URL
   */
  readonly deadLetterQueueUrl?: string;
  /**
   * The SQS client for the dead-letter queue.
   * @default a client for the Lambda's region, created once per container
   */
  readonly sqsClient?: SQSClient;
  /**
   * What to do with an envelope whose type has no handler: `'poison'` sends it to the DLQ,
   * `'skip'` reports it processed without doing anything.
   * @default 'poison'
   */
  readonly unknownType?: 'poison' | 'skip';
  /**
   * How many records run at once. On a FIFO queue this bounds the message groups running at
   * once; records of one group always run one after another. An integer from 1 to 1000.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * A record is not started with less than this many milliseconds of Lambda time left; it is
   * reported as a batch item failure instead, to be retried by another invocation. An integer
   * from 0 to 900000.
   * @default 2000
   */
  readonly minRemainingTimeMs?: number;
  /**
   * Where the consumer logs (batch summary; every failure and poison with ids and reason).
   * @default JSON lines on stdout at the level of AWS_LAMBDA_LOG_LEVEL, else INFO
   */
  readonly logger?: Logger;
  /**
   * CloudWatch EMF metrics per batch (Processed, Duplicates, Skipped, Poison, Failures,
   * CompletionWriteFailures), dimension ConsumerName.
   * @default off
   */
  readonly metrics?: MetricsOptions;
  /**
   * The environment this consumer runs in (`prod`, `staging`, `dev-alice`): 1 to 20 lower-case
   * letters, digits and `-`, starting with a letter. A message whose `environment` attribute names
   * another is poison (`wrong-environment`); a message without one is processed (see the README's
   * Environments section). Idempotency keys are scoped by it: `<environment>/<consumer>#<id>`.
   * @default the environment variable FANOUT_ENVIRONMENT; none when it is unset
   */
  readonly environment?: string;
  /**
   * Reading claim checks (bodies a publisher offloaded to S3). Pointers are always resolved, from
   * whichever bucket they name: the function's role decides what it may read. `@aws-sdk/client-s3`
   * is loaded on the first pointer.
   * @default a client for the Lambda's region, made on the first pointer
   */
  readonly largePayloads?: ConsumerLargePayloadOptions;
}

/** How a consumer reads claim checks. */
export interface ConsumerLargePayloadOptions {
  /**
   * The S3 client that reads the offloaded bodies.
   * @default a client for the Lambda's region with the runtime's timeouts, made on the first pointer
   */
  readonly client?: S3Client;
}

/** The options with every default applied, environment included. */
export interface ResolvedCreateConsumerOptions {
  readonly consumerName: string | undefined;
  readonly idempotency: {
    readonly tableName: string;
    readonly client: DynamoDBClient;
    readonly expiresAfterSeconds: number;
    readonly lockFallbackMs: number;
    readonly localCacheMaxItems: number;
    readonly batching: boolean;
  } | undefined;
  /** The client is made on the first poison message: most invocations never send one. */
  readonly deadLetter: { readonly queueUrl: string; readonly client: () => SQSClient } | undefined;
  readonly unknownType: 'poison' | 'skip';
  readonly maxConcurrency: number;
  readonly minRemainingTimeMs: number;
  readonly metricsNamespace: string | undefined;
  /** Accepted versions when a handler does not list its own. */
  readonly defaultVersions: readonly string[];
  readonly environment: string | undefined;
  /** Where claim-checked bodies are read. */
  readonly payloads: PayloadStore;
}

export function resolveCreateConsumerOptions(options: CreateConsumerOptions, env: NodeJS.ProcessEnv): ResolvedCreateConsumerOptions {
  const consumerName = options.consumerName ?? nonEmpty(env[ENV_CONSUMER_NAME]);
  const idempotency = resolveIdempotency(options.idempotency, env);
  if (idempotency && !consumerName) {
    throw new Error(`createConsumer: idempotency needs a consumer name to scope its keys: pass consumerName or set ${ENV_CONSUMER_NAME}`);
  }
  const maxConcurrency = integerInRange(OWNER, 'maxConcurrency', options.maxConcurrency, 10, 1, 1000);
  const minRemainingTimeMs = integerInRange(OWNER, 'minRemainingTimeMs', options.minRemainingTimeMs, 2000, 0, LAMBDA_MAX_TIMEOUT_MS);
  if (options.unknownType !== undefined && !UNKNOWN_TYPE_MODES.includes(options.unknownType)) {
    throw new Error(`${OWNER}: unknownType must be 'poison' or 'skip', got ${JSON.stringify(options.unknownType)}`);
  }
  if (typeof options.handlers !== 'object' || options.handlers === null) {
    throw new Error(`${OWNER}: handlers is required: an object with a { handle } per envelope type`);
  }
  for (const [type, handler] of Object.entries(options.handlers)) {
    if (typeof handler?.handle !== 'function') {
      throw new Error(`createConsumer: handlers[${JSON.stringify(type)}] has no handle function`);
    }
    if (handler.claim !== undefined && !CLAIM_MODES.includes(handler.claim)) {
      throw new Error(`${OWNER}: handlers[${JSON.stringify(type)}].claim must be 'first' or 'at-commit', got ${describeValue(handler.claim)}`);
    }
  }
  const deadLetterQueueUrl = options.deadLetterQueueUrl ?? nonEmpty(env[ENV_DLQ_URL]);
  checkLargePayloadsOption(OWNER, options.largePayloads, 'an object ({ client? })', false);
  const payloadClient = options.largePayloads?.client;
  if (payloadClient !== undefined) checkSdkClient(OWNER, 'an S3Client', payloadClient, 'largePayloads.client');
  return {
    consumerName,
    idempotency,
    deadLetter: deadLetterQueueUrl === undefined
      ? undefined
      : { queueUrl: deadLetterQueueUrl, client: lazy(() => options.sqsClient ?? new SQSClient(defaultClientConfig())) },
    unknownType: options.unknownType ?? 'poison',
    maxConcurrency,
    minRemainingTimeMs,
    metricsNamespace: options.metrics ? options.metrics.namespace ?? 'CdkFanout' : undefined,
    defaultVersions: [ENVELOPE_VERSION],
    environment: resolveEnvironment(OWNER, options.environment, env),
    payloads: new S3PayloadStore(payloadClient),
  };
}

function resolveIdempotency(options: IdempotencyOptions | false | undefined, env: NodeJS.ProcessEnv): ResolvedCreateConsumerOptions['idempotency'] {
  if (options === false) return undefined;
  const tableName = options?.tableName ?? nonEmpty(env[ENV_IDEMPOTENCY_TABLE]);
  if (!tableName) {
    if (options) {
      throw new Error(`createConsumer: idempotency is configured but has no table: pass idempotency.tableName or set ${ENV_IDEMPOTENCY_TABLE}`);
    }
    return undefined;
  }
  return {
    tableName,
    client: options?.client ?? new DynamoDBClient(defaultClientConfig()),
    expiresAfterSeconds: integerInRange(OWNER, 'idempotency.expiresAfterSeconds', options?.expiresAfterSeconds, 86_400, 1, MAX_EXPIRES_AFTER_SECONDS),
    lockFallbackMs: integerInRange(OWNER, 'idempotency.lockFallbackMs', options?.lockFallbackMs, 60_000, 100, LAMBDA_MAX_TIMEOUT_MS),
    localCacheMaxItems: integerInRange(OWNER, 'idempotency.localCacheMaxItems', options?.localCacheMaxItems, 0, 0, 1_000_000),
    batching: booleanOption('idempotency.batching', options?.batching, true),
  };
}

const OWNER = 'createConsumer';
const UNKNOWN_TYPE_MODES: readonly string[] = ['poison', 'skip'];
const CLAIM_MODES: readonly string[] = ['first', 'at-commit'] satisfies ClaimMode[];
/** Lambda's longest timeout: no lock or time margin needs more. */
const LAMBDA_MAX_TIMEOUT_MS = 900_000;
/** A year and a day: longer than any redelivery or redrive a consumer must recognise. */
const MAX_EXPIRES_AFTER_SECONDS = 366 * 86_400;

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${OWNER}: ${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
