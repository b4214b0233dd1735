/**
 * One synth in a fresh process, as `cdk synth` runs one: loads the libraries, builds the
 * fan-out, synthesizes, and reports to the parent. Run bundled (see constructs-bench.ts) so no
 * TypeScript compiler sits in the timing. Arguments: library, consumers, `validate` or not.
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILD_FAN_OUT, type ConstructsName } from './stacks';

export interface SynthOnce {
  /** From process start (Node, library loading included) to the written cloud assembly. */
  readonly totalMs: number;
  /** Loading the library's own modules, building the construct tree and synthesizing (Node and aws-cdk-lib's core already loaded). */
  readonly buildAndSynthMs: number;
  /** CPU of the whole process, all threads. */
  readonly cpuMs: number;
  readonly resources: number;
  readonly resourcesByType: Record<string, number>;
  readonly templateBytes: number;
  /** The synth error, e.g. cdk-fanout refusing a stack over CloudFormation's 500 resources. */
  readonly error?: string;
}

function synthOnce(name: ConstructsName, consumers: number, validate: boolean): SynthOnce {
  const app = new App({ builtinCloudFormationValidation: validate });
  const stack = new Stack(app, 'FanOut');
  const started = performance.now();
  BUILD_FAN_OUT[name](stack, consumers);
  let error: string | undefined;
  try {
    app.synth();
  } catch (caught) {
    error = (caught as Error).message;
  }
  const buildAndSynthMs = performance.now() - started;
  const totalMs = performance.now();
  const cpu = process.cpuUsage();
  // Counted from the construct tree, so a refused (over-limit) stack still reports its size.
  const resourcesByType: Record<string, number> = {};
  for (const construct of stack.node.findAll()) {
    if (CfnResource.isCfnResource(construct)) {
      resourcesByType[construct.cfnResourceType] = (resourcesByType[construct.cfnResourceType] ?? 0) + 1;
    }
  }
  const templateFile = path.join(app.outdir, stack.templateFile);
  const templateBytes = fs.existsSync(templateFile) ? fs.statSync(templateFile).size : 0;
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return {
    totalMs,
    buildAndSynthMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    resources: Object.values(resourcesByType).reduce((sum, n) => sum + n, 0),
    resourcesByType,
    templateBytes,
    ...(error === undefined ? {} : { error }),
  };
}

const [name, consumers, validate] = process.argv.slice(2);
const result = synthOnce(name as ConstructsName, Number(consumers), validate === 'validate');
// Run by hand (e.g. under `node --cpu-prof`) there is no parent: print the result instead.
if (process.send) process.send(result);
else process.stdout.write(`${JSON.stringify(result)}\n`);
