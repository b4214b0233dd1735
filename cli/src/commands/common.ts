import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { OptionSpec } from './command';
import { explainEndpointErrors } from './endpoint-errors';

/** Seconds an AWS request may take (connecting included) before it fails, unless `--timeout`. */
export const DEFAULT_TIMEOUT_SECONDS = 30;
/** `--timeout`'s range: a receive long-polls for 1 s, so less than 2 would fail every receive. */
export const MIN_TIMEOUT_SECONDS = 2;
export const MAX_TIMEOUT_SECONDS = 3_600;

/** Options every command takes: where AWS is and how loud to be about failures. */
export interface GlobalOptions {
  /** AWS region. @default the standard chain (AWS_REGION, the profile's region) */
  readonly region?: string;
  /** Named profile of the shared config/credentials files. @default the standard chain (AWS_PROFILE, `default`) */
  readonly profile?: string;
  /** Endpoint of every AWS service, e.g. the local stack's `http://127.0.0.1:4566`. @default AWS's endpoints */
  readonly endpoint?: string;
  /** Print the stack trace (and causes) of a failure. @default false */
  readonly verbose: boolean;
  /**
   * Seconds each AWS request (each attempt: the SDK makes up to 3) may take to connect and to be
   * answered before it fails. @default DEFAULT_TIMEOUT_SECONDS
   */
  readonly timeoutSeconds: number;
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  region: { type: 'string', value: 'REGION', description: 'AWS region (default: AWS_REGION or the profile\'s region)' },
  profile: { type: 'string', value: 'NAME', description: 'named profile from ~/.aws/config and ~/.aws/credentials' },
  endpoint: { type: 'string', value: 'URL', description: 'endpoint for every AWS service, e.g. the local stack' },
  timeout: { type: 'string', value: 'SECONDS', description: `give up on an AWS request that has not answered in SECONDS (default ${DEFAULT_TIMEOUT_SECONDS}; the SDK tries 3 times)` },
  verbose: { type: 'boolean', description: 'print the stack trace of a failure' },
  help: { type: 'boolean', description: 'show this help' },
};

export function globalOptions(values: Readonly<Record<string, unknown>>): GlobalOptions {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const timeout = text('timeout');
  return {
    region: text('region'),
    profile: text('profile'),
    endpoint: text('endpoint'),
    verbose: values.verbose === true,
    timeoutSeconds: timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(timeout),
  };
}

/**
 * The AWS clients of one command run, created on first use with the global options and the
 * standard credential chain (a client's `profile` setting is the chain's AWS_PROFILE, without
 * changing the environment of the process), and destroyed together at the end. Every request
 * has connection and request timeouts, and a timeout or an answer that is not AWS's is one
 * readable line (see `explainEndpointErrors`).
 */
export class Clients {
  private readonly created: { destroy(): void }[] = [];

  constructor(private readonly globals: GlobalOptions) {}

  sqs(): SQSClient {
    return this.track(new SQSClient(this.config()));
  }

  sns(): SNSClient {
    return this.track(new SNSClient(this.config()));
  }

  /** With `--endpoint`, path-style addressing: a local stack serves every bucket on one host. */
  s3(): S3Client {
    return this.track(new S3Client({ ...this.config(), ...(this.globals.endpoint ? { forcePathStyle: true } : {}) }));
  }

  cloudFormation(): CloudFormationClient {
    return this.track(new CloudFormationClient(this.config()));
  }

  destroy(): void {
    for (const client of this.created.splice(0)) client.destroy();
  }

  private config() {
    const { region, profile, endpoint, timeoutSeconds } = this.globals;
    const timeoutMs = timeoutSeconds * 1000;
    return {
      ...(region ? { region } : {}),
      ...(profile ? { profile } : {}),
      ...(endpoint ? { endpoint } : {}),
      // requestTimeout runs from the start of the request; without throwOnRequestTimeout the SDK only warns.
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
    };
  }

  private track<T extends { destroy(): void; middlewareStack: unknown }>(client: T): T {
    explainEndpointErrors(client as T & Parameters<typeof explainEndpointErrors>[0], { timeoutSeconds: this.globals.timeoutSeconds, endpointGiven: this.globals.endpoint !== undefined });
    this.created.push(client);
    return client;
  }
}
