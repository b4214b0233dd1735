import { spawnSync } from 'node:child_process';
import { rotation, sampled, type Sampled } from './stats';

export interface ColdImport {
  /** Median milliseconds of `node -e "require(bundle)"` minus the median of `node -e 0`. */
  readonly netMs: number;
  readonly runs: Sampled;
}

/**
 * Cold import time of each bundle: a fresh Node process requiring it, as a Lambda cold start
 * does, against a process that loads nothing. All bundles and the baseline take turns.
 */
export function measureColdImports(bundles: Readonly<Record<string, string>>, runs: number): { baseline: Sampled; bundles: Record<string, ColdImport> } {
  const BASELINE = '';
  const names = [BASELINE, ...Object.keys(bundles)];
  const times: Record<string, number[]> = {};
  for (let run = 0; run < runs; run++) {
    for (const name of rotation(names, run)) {
      const script = name === BASELINE ? '0' : `require(${JSON.stringify(bundles[name])})`;
      const started = performance.now();
      const child = spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      const elapsed = performance.now() - started;
      if (child.status !== 0) throw new Error(`node -e ${script} failed: ${child.stderr.toString()}`);
      (times[name] ??= []).push(elapsed);
    }
  }
  const baseline = sampled(times[BASELINE]);
  return {
    baseline,
    bundles: Object.fromEntries(Object.keys(bundles).map((name) => {
      const measured = sampled(times[name]);
      return [name, { netMs: measured.median - baseline.median, runs: measured }];
    })),
  };
}
