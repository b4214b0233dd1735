import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalFunctionSpec } from './provision';

/**
 * A module an execution environment loads before the handler. Its `install` export, when it has
 * one, is called with `options` and the function's name.
 */
export interface PreloadModule {
  /** Absolute path or package name of a CommonJS module. */
  readonly module: string;
  /** Passed to `install`; structured-cloneable (plain data). */
  readonly options?: unknown;
}

/** How an invocation ended: the handler's result, an error it threw, or its environment died. */
export type InvocationResult =
  | { readonly kind: 'returned'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: string }
  | { readonly kind: 'crashed'; readonly error: string };

interface Environment {
  readonly worker: Worker;
  readonly ready: Promise<void>;
}

const HOST = path.join(__dirname, 'lambda-host.js');

/**
 * A Lambda function run locally: a pool of execution environments (worker threads), each with the
 * function's environment variables, one invocation at a time each, like Lambda's containers.
 * An environment that crashes or times out is thrown away; the next invocation starts a new one.
 */
export class LocalFunction {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private nextId = 0;

  constructor(
    private readonly spec: LocalFunctionSpec,
    private readonly environment: Readonly<Record<string, string>>,
    private readonly preload: readonly PreloadModule[] = [],
    private readonly onOutput?: (functionName: string, text: string) => void,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  async invoke(event: unknown): Promise<InvocationResult> {
    const env = this.idle.pop() ?? this.start();
    try {
      await env.ready;
    } catch (error) {
      this.discard(env);
      return { kind: 'crashed', error: `init failed: ${(error as Error).message}` };
    }
    const id = this.nextId++;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const result = await new Promise<InvocationResult>((resolve) => {
      const timer = setTimeout(() => finish({ kind: 'crashed', error: `Task timed out after ${this.spec.timeoutSeconds} seconds` }), timeoutMs);
      const onMessage = (message: { id: number; result?: unknown; error?: string }) => {
        if (message.id === id) {
          finish(message.error === undefined ? { kind: 'returned', value: message.result } : { kind: 'threw', error: message.error });
        }
      };
      const onExit = (code: number) => finish({ kind: 'crashed', error: `execution environment exited with code ${code}` });
      const finish = (outcome: InvocationResult) => {
        clearTimeout(timer);
        env.worker.off('message', onMessage);
        env.worker.off('exit', onExit);
        resolve(outcome);
      };
      env.worker.on('message', onMessage);
      env.worker.once('exit', onExit);
      env.worker.postMessage({ id, event, deadline: Date.now() + timeoutMs, requestId: randomUUID() });
    });
    if (result.kind === 'crashed') {
      this.discard(env);
    } else {
      this.idle.push(env);
    }
    return result;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.all].map((env) => env.worker.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  private start(): Environment {
    const worker = new Worker(HOST, {
      workerData: {
        entry: this.spec.entry,
        exportName: this.spec.exportName,
        preload: this.preload,
      },
      env: {
        ...this.environment,
        ...this.spec.environment,
        AWS_LAMBDA_FUNCTION_NAME: this.spec.name,
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(this.spec.timeoutSeconds),
      },
      stdout: true,
      stderr: true,
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      stream.on('data', (chunk: Buffer) => this.onOutput?.(this.spec.name, chunk.toString()));
    }
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('online', () => resolve());
      worker.once('error', reject);
    });
    // A crash is reported through the invocation; keep an unhandled 'error' from ending the process.
    worker.on('error', () => undefined);
    const env = { worker, ready };
    this.all.add(env);
    return env;
  }

  private discard(env: Environment): void {
    this.all.delete(env);
    void env.worker.terminate();
  }
}
