import { build } from 'esbuild';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { WORK_DIR } from './bundle';
import { CONSTRUCTS_NAMES, type ConstructsName } from './constructs/stacks';
import type { SynthOnce } from './constructs/synth-once';
import type { BenchSettings } from './settings';
import { loadAverage } from './load';
import { rotation, sampled, type Sampled } from './stats';

/** CloudFormation's limit of resources per stack. */
const STACK_RESOURCE_LIMIT = 500;

export interface SynthFigures {
  readonly totalMs: Sampled;
  readonly buildAndSynthMs: Sampled;
  readonly cpuMs: Sampled;
  readonly resources: number;
  readonly resourcesByType: Record<string, number>;
  readonly templateBytes: number;
}

export type Validation = 'validationOff' | 'validationOn';

export interface Capacity {
  readonly resourcesPerConsumer: number;
  readonly fixedResources: number;
  /** Most consumers whose stack stays within 500 resources. */
  readonly consumersPerStack: number;
  /** Synthesized at that count and one more, when the run confirms it. */
  readonly confirmed?: { readonly atLimit: number; readonly overLimit: number; readonly overLimitError?: string };
}

export interface ConstructsResults {
  readonly synth: Record<Validation, Record<string, Record<ConstructsName, SynthFigures>>>;
  readonly capacity: Record<ConstructsName, Capacity>;
}

/** cdk-fanout against AWS Solutions Constructs (aws-sns-sqs) and plain aws-cdk-lib: size and synth time of the same fan-out. */
export async function runConstructsBench(settings: BenchSettings): Promise<ConstructsResults> {
  const worker = await bundleWorker();
  const synth = {} as ConstructsResults['synth'];
  const plan: [Validation, readonly number[]][] = [['validationOff', settings.consumerCounts], ['validationOn', settings.validatedConsumerCounts]];
  for (const [validation, counts] of plan) {
    synth[validation] = {};
    for (const consumers of counts) {
      progress(`synth, ${consumers} consumer(s), ${validation} (${settings.synthRuns} run(s) each)`);
      const runs: Partial<Record<ConstructsName, SynthOnce[]>> = {};
      for (let run = 0; run < settings.synthRuns; run++) {
        for (const name of rotation(CONSTRUCTS_NAMES, run)) {
          (runs[name] ??= []).push(await synthInFreshProcess(worker, name, consumers, validation === 'validationOn'));
        }
      }
      synth[validation][`consumers${consumers}`] = Object.fromEntries(CONSTRUCTS_NAMES.map((name) => [name, figures(runs[name] ?? [])])) as Record<ConstructsName, SynthFigures>;
    }
  }
  const capacity = {} as Record<ConstructsName, Capacity>;
  for (const name of CONSTRUCTS_NAMES) {
    capacity[name] = await measureCapacity(worker, name, synth.validationOff, settings.consumerCounts, settings.confirmCapacity);
  }
  return { synth, capacity };
}

function figures(runs: readonly SynthOnce[]): SynthFigures {
  const failed = runs.find((run) => run.error);
  if (failed) throw new Error(`synth failed: ${failed.error}`);
  const [first] = runs;
  return {
    totalMs: sampled(runs.map((run) => run.totalMs)),
    buildAndSynthMs: sampled(runs.map((run) => run.buildAndSynthMs)),
    cpuMs: sampled(runs.map((run) => run.cpuMs)),
    resources: first.resources,
    resourcesByType: first.resourcesByType,
    templateBytes: first.templateBytes,
  };
}

/** Resources grow linearly with consumers: the slope and intercept from the two largest counts give the stack's capacity. */
async function measureCapacity(
  worker: string,
  name: ConstructsName,
  synthesized: Record<string, Record<ConstructsName, SynthFigures>>,
  counts: readonly number[],
  confirm: boolean,
): Promise<Capacity> {
  const [small, large] = [...counts].sort((a, b) => a - b).slice(-2);
  const resourcesAt = (n: number) => synthesized[`consumers${n}`][name].resources;
  const resourcesPerConsumer = (resourcesAt(large) - resourcesAt(small)) / (large - small);
  const fixedResources = resourcesAt(large) - large * resourcesPerConsumer;
  const consumersPerStack = Math.floor((STACK_RESOURCE_LIMIT - fixedResources) / resourcesPerConsumer);
  if (!confirm) return { resourcesPerConsumer, fixedResources, consumersPerStack };
  progress(`${name}: synthesizing ${consumersPerStack} and ${consumersPerStack + 1} consumers`);
  const atLimit = await synthInFreshProcess(worker, name, consumersPerStack, false);
  const overLimit = await synthInFreshProcess(worker, name, consumersPerStack + 1, false);
  if (atLimit.error || atLimit.resources > STACK_RESOURCE_LIMIT || overLimit.resources <= STACK_RESOURCE_LIMIT) {
    throw new Error(`${name}: ${consumersPerStack} consumers make ${atLimit.resources} resources, one more ${overLimit.resources}; the linear estimate is off${atLimit.error ? `: ${atLimit.error}` : ''}`);
  }
  return {
    resourcesPerConsumer,
    fixedResources,
    consumersPerStack,
    confirmed: { atLimit: atLimit.resources, overLimit: overLimit.resources, ...(overLimit.error ? { overLimitError: overLimit.error } : {}) },
  };
}

/**
 * The synth worker as one JavaScript file: cdk-fanout's sources compiled in, the libraries
 * loaded from node_modules as an app would load them.
 */
async function bundleWorker(): Promise<string> {
  const file = path.join(WORK_DIR, 'synth-once.js');
  await build({
    entryPoints: [path.join(__dirname, 'constructs', 'synth-once.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', '@aws-solutions-constructs/*'],
    logLevel: 'error',
  });
  return file;
}

function synthInFreshProcess(worker: string, name: ConstructsName, consumers: number, validate: boolean): Promise<SynthOnce> {
  return new Promise((resolve, reject) => {
    // Solutions Constructs print their warnings on stdout; nothing here reads it.
    const child = fork(worker, [name, String(consumers), validate ? 'validate' : 'no-validate'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let result: SynthOnce | undefined;
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('message', (message) => (result = message as SynthOnce));
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`synth of ${name} × ${consumers} failed (exit ${code}): ${stderr.slice(-4000)}`))));
  });
}

function progress(step: string): void {
  process.stderr.write(`  constructs: ${step} (load average ${loadAverage().join(' / ')})\n`);
}
