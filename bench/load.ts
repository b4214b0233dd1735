import * as os from 'node:os';
import { round } from './stats';

/** The load average when a phase started: on a shared machine, the context of every figure. */
export interface PhaseLoad {
  readonly phase: string;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly number[];
  readonly at: string;
}

export function loadAverage(): number[] {
  return os.loadavg().map((load) => round(load, 2));
}

/** Logs a phase with the load average and returns it for the results. */
export function phase(name: string, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): PhaseLoad {
  const loadAverage_ = loadAverage();
  log(`  ${name} (load average ${loadAverage_.join(' / ')}, ${os.cpus().length} CPUs)`);
  return { phase: name, loadAverage: loadAverage_, at: new Date().toISOString() };
}
