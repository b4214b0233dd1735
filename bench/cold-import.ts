import { spawnSync } from 'node:child_process';
import { rotation, sampled, type Sampled } from './stats';

/** Cold import of one bundle: what loading it costs a fresh process, per round. */
export interface ColdImport {
  /** CPU milliseconds of `require(bundle)` (all threads): what the load costs, barely moved by neighbours. */
  readonly cpuMs: Sampled;
  /** Wall milliseconds of `require(bundle)`: the Lambda init time it adds, on a quiet machine close to cpuMs. */
  readonly wallMs: Sampled;
}

/** What Lambda sets in a function's environment that a module may read at load. */
const LAMBDA_ENVIRONMENT = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench-consumer',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
};

/**
 * Cold import of each bundle as a Lambda cold start loads a handler: a fresh Node process
 * requires it (the AWS SDK it leaves external included, from node_modules as the Lambda runtime
 * provides it), timed inside that process around the `require` alone, so process start-up, which
 * is the same for every bundle, adds no noise. Bundles take turns in rotating order, one process
 * each per round, so ratios pair by round.
 */
export function measureColdImports(bundles: Readonly<Record<string, string>>, rounds: number): Record<string, ColdImport> {
  const cpu: Record<string, number[]> = {};
  const wall: Record<string, number[]> = {};
  const env = { ...process.env, ...LAMBDA_ENVIRONMENT };
  const names = Object.keys(bundles);
  // One round first that is not counted: the first start after bundling pays for the disk cache.
  for (let round = -1; round < rounds; round++) {
    for (const name of rotation(names, Math.max(round, 0))) {
      const script = [
        'const c = process.cpuUsage(), t = performance.now();',
        `require(${JSON.stringify(bundles[name])});`,
        'const wall = performance.now() - t, used = process.cpuUsage(c);',
        'process.stdout.write(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000 }));',
      ].join('');
      const child = spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`loading ${bundles[name]} failed: ${child.stderr}`);
      const measured = JSON.parse(child.stdout) as { wall: number; cpu: number };
      if (round >= 0) {
        (cpu[name] ??= []).push(measured.cpu);
        (wall[name] ??= []).push(measured.wall);
      }
    }
  }
  return Object.fromEntries(names.map((name) => [name, { cpuMs: sampled(cpu[name]), wallMs: sampled(wall[name]) }]));
}
