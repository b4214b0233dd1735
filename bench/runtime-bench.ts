import { fork } from 'node:child_process';
import * as path from 'node:path';
import { BUNDLE_VARIANTS, bundleHandler, type Bundle, type BundleVariant } from './bundle';
import { measureColdImports, type ColdImport } from './cold-import';
import type { RuntimeWorkerResults } from './runtime-worker';
import type { BenchSettings } from './settings';
import type { Sampled } from './stats';
import { RUNTIME_SUBJECTS, type RuntimeName } from './subjects';

export interface RuntimeResults extends RuntimeWorkerResults {
  readonly bundles: Record<BundleVariant, Record<RuntimeName, Bundle>>;
  readonly coldImport: { readonly baseline: Sampled; readonly bundles: Record<BundleVariant, Record<RuntimeName, ColdImport>> };
}

/** cdk-fanout's runtime against Powertools: bundle size and cold import here, the rest in a child process. */
export async function runRuntimeBench(settings: BenchSettings): Promise<RuntimeResults> {
  progress('bundling both handlers');
  const bundles = {} as Record<BundleVariant, Record<RuntimeName, Bundle>>;
  for (const variant of BUNDLE_VARIANTS) {
    bundles[variant] = {} as Record<RuntimeName, Bundle>;
    for (const subject of RUNTIME_SUBJECTS) {
      bundles[variant][subject.name] = await bundleHandler(subject, variant);
    }
  }

  progress(`cold import (${settings.importRuns} runs each)`);
  const files = Object.fromEntries(BUNDLE_VARIANTS.flatMap((variant) =>
    RUNTIME_SUBJECTS.map((subject) => [`${variant}/${subject.name}`, bundles[variant][subject.name].file])));
  const imports = measureColdImports(files, settings.importRuns);
  const coldImport = { baseline: imports.baseline, bundles: {} as Record<BundleVariant, Record<RuntimeName, ColdImport>> };
  for (const variant of BUNDLE_VARIANTS) {
    coldImport.bundles[variant] = Object.fromEntries(RUNTIME_SUBJECTS.map((subject) =>
      [subject.name, imports.bundles[`${variant}/${subject.name}`]])) as Record<RuntimeName, ColdImport>;
  }

  const measured = await runWorker(settings.quick);
  return { bundles, coldImport, ...measured };
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
      for (const line of text.split('\n')) if (line.startsWith('  runtime:')) process.stderr.write(`${line}\n`);
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

function progress(step: string): void {
  process.stderr.write(`  runtime: ${step}\n`);
}
