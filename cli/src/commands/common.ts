import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { OptionSpec } from './command';

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
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  region: { type: 'string', value: 'REGION', description: 'AWS region (default: AWS_REGION or the profile\'s region)' },
  profile: { type: 'string', value: 'NAME', description: 'named profile from ~/.aws/config and ~/.aws/credentials' },
  endpoint: { type: 'string', value: 'URL', description: 'endpoint for every AWS service, e.g. the local stack' },
  verbose: { type: 'boolean', description: 'print the stack trace of a failure' },
  help: { type: 'boolean', description: 'show this help' },
};

export function globalOptions(values: Readonly<Record<string, unknown>>): GlobalOptions {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  return { region: text('region'), profile: text('profile'), endpoint: text('endpoint'), verbose: values.verbose === true };
}

/**
 * The AWS clients of one command run, created on first use with the global options and the
 * standard credential chain (a client's `profile` setting is the chain's AWS_PROFILE, without
 * changing the environment of the process), and destroyed together at the end.
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

  cloudFormation(): CloudFormationClient {
    return this.track(new CloudFormationClient(this.config()));
  }

  destroy(): void {
    for (const client of this.created.splice(0)) client.destroy();
  }

  private config() {
    const { region, profile, endpoint } = this.globals;
    return {
      ...(region ? { region } : {}),
      ...(profile ? { profile } : {}),
      ...(endpoint ? { endpoint } : {}),
    };
  }

  private track<T extends { destroy(): void }>(client: T): T {
    this.created.push(client);
    return client;
  }
}
