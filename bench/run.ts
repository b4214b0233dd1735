/**
 * `npm run bench [-- --quick] [-- --only runtime|constructs]`: cdk-fanout side by side with
 * Powertools for AWS Lambda and with AWS Solutions Constructs / plain aws-cdk-lib, in one run,
 * as ratios. Never part of `npm test`. See bench/README.md.
 */
// First: it must run before any import loads the AWS SDK.
import './quiet-node20-warning';
import { runConstructsBench } from './constructs-bench';
import { markdownReport } from './report';
import { machine, ratiosAndGoals, versions, writeResults, type BenchResults } from './results';
import { runRuntimeBench } from './runtime-bench';
import { benchSettings } from './settings';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  if (only !== undefined && only !== 'runtime' && only !== 'constructs') {
    throw new Error(`--only takes runtime or constructs, got ${only}`);
  }
  const settings = benchSettings(quick);
  const startedAt = new Date();
  const machineAtStart = machine();
  process.stderr.write(`bench (${quick ? 'quick' : 'full'}) on ${machineAtStart.cpus} CPU(s), Node ${process.version}\n`);

  const runtime = only === 'constructs' ? undefined : await runRuntimeBench(settings);
  const constructs = only === 'runtime' ? undefined : await runConstructsBench(settings);

  const results: BenchResults = {
    mode: quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: { ...machineAtStart, loadAverageAtEnd: machine().loadAverage },
    versions: versions(),
    ...(runtime ? { runtime } : {}),
    ...(constructs ? { constructs } : {}),
    ...ratiosAndGoals(runtime, constructs),
  };
  const file = writeResults(results, only === undefined);
  process.stdout.write(`${markdownReport(results)}\nresults: ${file} (${results.durationSeconds} s)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
