/**
 * Where the CPU goes, by package and by function.
 *
 * `npx tsx bench/profile.ts <subject> [batch size]` (a subject of bench/subjects.ts: cdk-fanout,
 * cdk-fanout-valibot, powertools, powertools-inner-schema, …): runs fresh records through that
 * subject's handler against the in-process DynamoDB stand-in under V8's sampling profiler, prints
 * self time per record and writes bench/.work/<subject>.cpuprofile (open it in Chrome DevTools for
 * the call tree). The handler module is loaded unbundled (its imports resolve to the published
 * builds' CommonJS files), so that time can be told apart by package.
 *
 * The runtimes' log lines go to stdout (redirect it: `> /dev/null`), the report to stderr.
 *
 * `npx tsx bench/profile.ts <file.cpuprofile>`: the same summary, per run, of a profile written
 * by `node --cpu-prof` (the synth profiles in bench/README.md).
 */
import './quiet-node20-warning';
import * as fs from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import * as path from 'node:path';
import { WORK_DIR } from './bundle';
import { benchDynamoDbClient } from './dynamodb-client';
import { DynamoDbStandIn } from './dynamodb-stand-in';
import { orderBatches } from './events';
import type { HandlerModule } from './handlers/handler-options';
import { invokeAll } from './invoke';
import { round } from './stats';
import { benchTables, LEDGER_TABLE, SUBJECTS, tableName } from './subjects';

const WARMUP_RECORDS = 4000;
const PROFILED_RECORDS = 20_000;

async function main(): Promise<void> {
  const [name = 'cdk-fanout', batch = '10'] = process.argv.slice(2);
  if (name.endsWith('.cpuprofile')) {
    process.stderr.write(`${report(JSON.parse(fs.readFileSync(name, 'utf8')) as Profiler.Profile, 1, 'ms per run', 1000)}\n`);
    return;
  }
  const subject = SUBJECTS.find((candidate) => candidate.name === name);
  if (!subject) throw new Error(`unknown subject ${name}: one of ${SUBJECTS.map((s) => s.name).join(', ')}`);
  const batchSize = Number(batch);
  const client = benchDynamoDbClient();
  new DynamoDbStandIn(benchTables()).attach(client);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`./handlers/${subject.bundle}`) as HandlerModule;
  const handler = module.create({ tableName: tableName(subject), client, ledgerTableName: LEDGER_TABLE, ...(subject.idempotency ? { idempotency: subject.idempotency } : {}), ...(subject.handlerOptions ? { handlerOptions: subject.handlerOptions } : {}) });
  await invokeAll(handler, orderBatches(batchSize, WARMUP_RECORDS));

  const work = orderBatches(batchSize, PROFILED_RECORDS);
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) => new Promise<T>((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  await invokeAll(handler, work);
  const { profile } = await post<{ profile: Profiler.Profile }>('Profiler.stop');
  session.disconnect();

  fs.mkdirSync(WORK_DIR, { recursive: true });
  const file = path.join(WORK_DIR, `${name}.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(profile));
  process.stderr.write(`${report(profile, work.length * batchSize, 'µs per record', 1)}\nprofile: ${file}\n`);
}

/** Self time per group and per function, per `runs` (records, or one synth), in µs divided by `scale`. */
function report(profile: Profiler.Profile, runs: number, unit: string, scale: number): string {
  // Each sample stands for the time since the previous one.
  const hits = new Map<number, number>();
  (profile.samples ?? []).forEach((id, index) => hits.set(id, (hits.get(id) ?? 0) + (profile.timeDeltas?.[index] ?? 0)));
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const micros = (hits.get(node.id) ?? 0) / runs / scale;
    if (micros === 0) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    const group = groupOf(url, functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + micros);
    const label = `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    byFunction.set(label, (byFunction.get(label) ?? 0) + micros);
  }
  const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([label, value]) => `${round(value, 1).toFixed(1).padStart(8)}  ${label}`).join('\n');
  const total = [...byGroup.values()].reduce((sum, value) => sum + value, 0);
  return `${round(total, 1)} ${unit} sampled; self time by group (${unit}):\n${top(byGroup, 15)}\n\nhottest functions (${unit}):\n${top(byFunction, 25)}`;
}

function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: built-ins';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  return pkg ?? shortUrl(url);
}

function shortUrl(url: string): string {
  const root = `file://${path.join(__dirname, '..')}/`;
  return url.replace(root, '').replace(/^.*node_modules\//, '');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
