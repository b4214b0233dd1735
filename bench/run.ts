/**
 * `npm run bench [-- --quick] [-- --only runtime|constructs]`: cdk-fanout side by side with
 * Powertools for AWS Lambda and with AWS Solutions Constructs / plain aws-cdk-lib, in one run,
 * as ratios. Never part of `npm test`. See bench/README.md.
 */
// First: it must run before any import loads the AWS SDK.
import './quiet-node20-warning';
import { phase, type PhaseLoad } from './load';
import { ensureRuntimeBuild } from './published-build';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  if (only !== undefined && only !== 'runtime' && only !== 'constructs') {
    throw new Error(`--only takes runtime or constructs, got ${only}`);
  }
  const startedAt = new Date();
  process.stderr.write(`bench (${quick ? 'quick' : 'full'}), Node ${process.version}\n`);
  const phases: PhaseLoad[] = [phase('start')];

  // The harness loads the published runtime (events, DynamoDB Local): build or check it before requiring the rest.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const runtimeBuild = ensureRuntimeBuild((line) => process.stderr.write(`  ${line}\n`));
  const { benchSettings } = require('./settings') as typeof import('./settings');
  const { markdownReport } = require('./report') as typeof import('./report');
  const { machine, ratiosAndGoals, versions, writeResults } = require('./results') as typeof import('./results');
  const settings = benchSettings(quick);

  let runtime;
  let standInCheck;
  if (only !== 'constructs') {
    const { checkStandIn } = require('./stand-in-check') as typeof import('./stand-in-check');
    standInCheck = await checkStandIn();
    if (standInCheck.mismatches.length > 0) {
      throw new Error(`the DynamoDB stand-in answers unlike DynamoDB Local (npx tsx bench/stand-in-check.ts):\n${standInCheck.mismatches.join('\n')}`);
    }
    const { runRuntimeBench } = require('./runtime-bench') as typeof import('./runtime-bench');
    runtime = await runRuntimeBench(settings);
    phases.push(...runtime.phases);
  }
  let constructs;
  if (only !== 'runtime') {
    phases.push(phase('constructs: synth'));
    const { runConstructsBench } = require('./constructs-bench') as typeof import('./constructs-bench');
    constructs = await runConstructsBench(settings);
  }
  phases.push(phase('end'));

  const results = {
    mode: quick ? 'quick' : 'full',
    command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machine(),
    versions: versions(),
    runtimeBuild,
    ...(standInCheck ? { standInCheck } : {}),
    phases,
    ...(runtime ? { runtime } : {}),
    ...(constructs ? { constructs } : {}),
    ...ratiosAndGoals(runtime, constructs),
  } as const;
  const file = writeResults(results, only === undefined);
  process.stdout.write(`${markdownReport(results)}\nresults: ${file} (${results.durationSeconds} s)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
