import { Readable } from 'node:stream';
import { main } from '@cdk-fanout/cli';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';

/** What one in-process `fanout` run printed and returned. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Text on stdin. @default none (end of input at once) */
  readonly stdin?: string;
  /** @default false: tests run without a terminal, like CI */
  readonly stdinIsTTY?: boolean;
  /** @default false */
  readonly stderrIsTTY?: boolean;
  /** Append `--endpoint <fauxqs> --region us-east-1`. @default true */
  readonly local?: boolean;
}

// The commands use the standard credential chain; the environment is its first link.
process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;

/** Runs `fanout <args>` in this process with captured output. */
export async function fanout(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const endpoint = process.env.FANOUT_TEST_FAUXQS_ENDPOINT;
  if (options.local !== false && !endpoint) throw new Error('FANOUT_TEST_FAUXQS_ENDPOINT is not set: run the tests with jest');
  const code = await main(options.local === false ? args : [...args, '--endpoint', endpoint!, '--region', LOCAL_REGION], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    stdinIsTTY: options.stdinIsTTY ?? false,
    stderrIsTTY: options.stderrIsTTY ?? false,
  });
  return { code, stdout, stderr };
}
