import { fork } from 'node:child_process';
import * as path from 'node:path';
import { bundleHandler, type Bundle } from './bundle';
import { measureColdImports, type ColdImport } from './cold-import';
import { phase, type PhaseLoad } from './load';
import type { RuntimeWorkerResults } from './runtime-worker';
import type { BenchSettings } from './settings';
import { BUNDLES, REPORTED_BUNDLES, type BundleName } from './subjects';

export interface RuntimeResults extends RuntimeWorkerResults {
  readonly bundles: Record<BundleName, Bundle>;
  /** By subject (its bundle). */
  readonly coldImport: Record<string, ColdImport>;
}

/** Bundle size and cold import here (every bundle is built first: the worker runs them), the rest in a child process. */
export async function runRuntimeBench(settings: BenchSettings): Promise<RuntimeResults> {
  const phases: PhaseLoad[] = [phase('runtime: bundling every handler from the published build')];
  const bundles = {} as Record<BundleName, Bundle>;
  for (const name of Object.keys(BUNDLES) as BundleName[]) bundles[name] = await bundleHandler(name);

  phases.push(phase(`runtime: cold import (${settings.importRounds} rounds)`));
  const coldImport = measureColdImports(Object.fromEntries(Object.entries(REPORTED_BUNDLES).map(([subject, bundle]) => [subject, bundles[bundle].file])), settings.importRounds);

  const measured = await runWorker(settings.quick);
  return { bundles, coldImport, ...measured, phases: [...phases, ...measured.phases] };
}

function runWorker(quick: boolean): Promise<RuntimeWorkerResults> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'runtime-worker.ts'), quick ? ['--quick'] : [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      // The runtimes' log lines are part of their cost, but not of the report.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      for (const line of text.split('\n')) if (line.startsWith('  runtime:') || line.startsWith('DynamoDbStandIn:')) process.stderr.write(`${line}\n`);
    });
    let message: { results?: RuntimeWorkerResults; error?: string } | undefined;
    child.on('message', (received) => (message = received as typeof message));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (message?.results) resolve(message.results);
      else reject(new Error(`runtime worker failed (exit ${code}): ${message?.error ?? stderr.slice(-4000)}`));
    });
  });
}
