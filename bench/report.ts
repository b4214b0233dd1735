import { CONSTRUCTS_NAMES } from './constructs/stacks';
import type { RequestCount } from './requests-per-record';
import { RATIO_PAIRS, type BenchResults } from './results';
import type { Sampled } from './stats';
import { OURS, REPORTED_BUNDLES, SUBJECTS, TRANSACTIONAL_SUBJECTS } from './subjects';

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A sampled figure as `median (q1–q3)`. */
function figure(value: Sampled | undefined, digits = 0): string {
  if (!value) return '–';
  return `${fmt(value.median, digits)} (${fmt(value.q1, digits)}–${fmt(value.q3, digits)})`;
}

/** A paired ratio as `median (IQR q1–q3; min–max)`. */
function ratioText(value: Sampled | number | undefined): string {
  if (value === undefined) return '–';
  if (typeof value === 'number') return fmt(value, 3);
  return `${fmt(value.median, 3)} (${fmt(value.q1, 2)}–${fmt(value.q3, 2)}; ${fmt(value.min, 2)}–${fmt(value.max, 2)})`;
}

function requestsText(count: RequestCount | undefined): string {
  if (!count) return '–';
  const operations = Object.entries(count.operations).map(([operation, n]) => `${operation} ${fmt(n, 2)}`).join(' + ');
  return `${fmt(count.perRecord, 2)}${operations ? ` (${operations})` : ''}`;
}

const label = (name: string) => [...SUBJECTS, ...TRANSACTIONAL_SUBJECTS].find((subject) => subject.name === name)?.label ?? name;

/** The results as the Markdown of bench/README.md's figures section. */
export function markdownReport(results: BenchResults): string {
  const lines: string[] = [];
  const { runtime, constructs, ratios } = results;
  const [first, last] = [results.phases[0], results.phases.at(-1)];
  const build = results.runtimeBuild;
  lines.push(
    `Run: \`${results.command}\`, ${results.mode}, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${results.durationSeconds} s; ` +
    `${String(results.machine.cpus)} CPUs (${String(results.machine.cpuModel)}), Node ${String(results.machine.node)}; ` +
    `load average (1 / 5 / 15 min) ${first?.loadAverage.join(' / ') ?? '?'} at the start, ${last?.loadAverage.join(' / ') ?? '?'} at the last phase (every phase's in the JSON). ` +
    `${results.versions['cdk-fanout']}` +
    (build ? `, runtime build of ${build.commit}${build.uncommittedSources.length ? ` with uncommitted changes to ${build.uncommittedSources.join(', ')}` : ''}${build.rebuilt ? ' (rebuilt by this run)' : ''}${build.changedDuringBuild ? ` (⚠ sources changed while it was built: dist ${build.changedDuringBuild})` : ''}` : '') +
    (results.standInCheck ? `; the stand-in answered ${results.standInCheck.cases - results.standInCheck.mismatches.length} of ${results.standInCheck.cases} recorded DynamoDB Local cases alike` : '') +
    '.',
    '',
  );

  if (runtime) {
    const present = SUBJECTS.filter((subject) => runtime.cpuPerRecord.batch100?.netMicros[subject.name]);
    const requests = runtime.requestsPerRecord;

    lines.push('**Goals**: cdk-fanout as configured by default against Powertools 2.35 in its best configuration; ratios are medians of per-round ratios (IQR; min–max).', '');
    lines.push('| goal metric | value | goal |', '|---|---:|---|');
    for (const goal of results.goals.filter((g) => !g.metric.startsWith('synth'))) {
      const value = goal.spread ? `${fmt(goal.value, 3)} (${fmt(goal.spread.q1, 2)}–${fmt(goal.spread.q3, 2)}; ${fmt(goal.spread.min, 2)}–${fmt(goal.spread.max, 2)})` : fmt(goal.value, 3);
      lines.push(`| ${goal.metric} | ${value} | ${goal.goal} ${goal.met ? '✅' : '❌'} |`);
    }
    lines.push('');

    lines.push('**Every subject** (medians, IQR in brackets; requests per record by operation):', '');
    lines.push(`| metric | ${present.map((subject) => subject.label).join(' | ')} |`, `|---|${present.map(() => '---:').join('|')}|`);
    const row = (metric: string, cell: (name: string) => string) => lines.push(`| ${metric} | ${present.map((subject) => cell(subject.name)).join(' | ')} |`);
    // Subjects that run the same bundle (our modes) share its bytes and cold import.
    const bundleOf = (name: string) => runtime.bundles[present.find((subject) => subject.name === name)!.bundle];
    const loadOf = (name: string) => {
      const bundle = present.find((subject) => subject.name === name)!.bundle;
      const measured = Object.keys(REPORTED_BUNDLES).find((reported) => REPORTED_BUNDLES[reported] === bundle);
      return measured ? runtime.coldImport[measured] : undefined;
    };
    row('bundle bytes (minified, SDK external)', (name) => fmt(bundleOf(name).bytes));
    row('library bytes (bundle minus schema library and handler)', (name) => fmt(bundleOf(name).libraryBytes));
    row('cold import: CPU ms of the require', (name) => figure(loadOf(name)?.cpuMs, 1));
    row('cold import: wall ms of the require', (name) => figure(loadOf(name)?.wallMs, 1));
    for (const [batch, cpu] of Object.entries(runtime.cpuPerRecord)) {
      row(`CPU µs per fresh record, ${batch.replace('batch', 'batch ')} (stand-in)`, (name) => figure(cpu.netMicros[name]));
    }
    row('Lambda ms per batch of 100, 5 ms round trip', (name) => figure(runtime.lambdaTime.wallMs[name], 1));
    row('… of which CPU ms (net of the stand-in)', (name) => figure(runtime.lambdaTime.cpuMs[name], 1));
    for (const [batch, rate] of Object.entries(runtime.recordsPerSecond)) {
      row(`records/s on DynamoDB Local, ${batch.replace('batch', 'batch ')}`, (name) => figure(rate[name]));
    }
    const cases: [string, string][] = [['fresh100', 'fresh, batch 100'], ['fresh10', 'fresh, batch 10'], ['duplicate100', 'duplicate, batch 100'], ['duplicate10', 'duplicate, batch 10'], ['failed10', 'handler throws, batch 10']];
    for (const [key, text] of cases) row(`DynamoDB requests per record: ${text}`, (name) => requestsText(requests[name]?.[key]));
    lines.push('', 'Requests are counted on DynamoDB Local for our modes and the baseline; the schema variants send the same requests as their siblings (the stand-in\'s counts per subject are in the JSON, `cpuPerRecord.*.standInRequestsPerRecord`).', '');

    const transactional = TRANSACTIONAL_SUBJECTS.filter((subject) => requests[subject.name]);
    lines.push('**Transactional handler** (its effect, one ledger item per record: through `ctx.transact` in cdk-fanout, written by the handler in Powertools):', '');
    lines.push(`| DynamoDB requests per record | ${transactional.map((subject) => subject.label).join(' | ')} |`, `|---|${transactional.map(() => '---:').join('|')}|`);
    for (const [key, text] of cases.slice(0, 4)) lines.push(`| ${text} | ${transactional.map((subject) => requestsText(requests[subject.name][key])).join(' | ')} |`);
    lines.push('');

    const pairs = RATIO_PAIRS.filter(([ours, theirs]) => present.some((s) => s.name === ours) && present.some((s) => s.name === theirs));
    lines.push('**Ratios** (paired by round: median (IQR; min–max); bytes are exact):', '');
    lines.push(`| metric | ${pairs.map(([ours, theirs]) => `${label(ours)} / ${label(theirs)}`).join(' | ')} |`, `|---|${pairs.map(() => '---:').join('|')}|`);
    const ratioRow = (metric: string, key: string) => lines.push(`| ${metric} | ${pairs.map(([ours, theirs]) => ratioText(ratios[`${key}.${ours}/${theirs}`])).join(' | ')} |`);
    ratioRow('library bytes', 'libraryBytes');
    ratioRow('bundle bytes', 'bundleBytes');
    ratioRow('cold import, CPU', 'coldImportCpuMs');
    ratioRow('cold import, wall', 'coldImportWallMs');
    for (const batch of Object.keys(runtime.cpuPerRecord)) ratioRow(`CPU per record, ${batch.replace('batch', 'batch ')}`, `cpuMicrosPerRecord.${batch}`);
    ratioRow('Lambda time per batch of 100', 'lambdaMsPerBatch100');
    ratioRow('… its CPU', 'lambdaCpuMsPerBatch100');
    for (const batch of Object.keys(runtime.recordsPerSecond)) ratioRow(`records/s, ${batch.replace('batch', 'batch ')} (higher is better)`, `recordsPerSecond.${batch}`);
    lines.push('');

    const mismatch = Object.entries(runtime.cpuPerRecord).flatMap(([batch, cpu]) => Object.entries(cpu.standInRequestsPerRecord).flatMap(([name, operations]) => {
      const local = requests[name]?.[`fresh${batch.replace('batch', '')}`];
      const standIn = Object.values(operations).reduce((sum, n) => sum + n, 0);
      return local && Math.abs(local.perRecord - standIn) > 0.005 ? [`${name} ${batch}: ${fmt(standIn, 3)} on the stand-in, ${fmt(local.perRecord, 3)} on DynamoDB Local`] : [];
    }));
    if (mismatch.length > 0) lines.push(`⚠ Requests per fresh record differ between the stand-in and DynamoDB Local: ${mismatch.join('; ')}.`, '');
    if (!present.some((subject) => subject.name !== OURS && subject.idempotency)) {
      lines.push('Per-record mode: left out (bench/subjects.ts `PER_RECORD_IDEMPOTENCY` is unset).', '');
    }
  }

  if (constructs) {
    lines.push('| consumers | library | resources | template bytes | synth CPU ms (wall ms), validation off | synth CPU ms (wall ms), validation on | CPU ratio vs aws-cdk-lib, off / on |', '|---:|---|---:|---:|---:|---:|---|');
    for (const count of Object.keys(constructs.synth.validationOff)) {
      for (const name of CONSTRUCTS_NAMES) {
        const off = constructs.synth.validationOff[count][name];
        const on = constructs.synth.validationOn[count]?.[name];
        const time = (figures: typeof off | undefined) => (figures ? `${fmt(figures.cpuMs.median)} (${fmt(figures.totalMs.median)})` : '–');
        const ratioCell = name === 'cdk-fanout'
          ? (['validationOff', 'validationOn'] as const).map((v) => {
            const goal = results.goals.find((g) => g.metric === `synth CPU vs aws-cdk-lib (${count}, ${v})`);
            return goal ? `${goal.value} ${goal.met ? '✅' : '❌'}` : '–';
          }).join(' / ')
          : '';
        lines.push(`| ${count.replace('consumers', '')} | ${name} | ${off.resources} | ${fmt(off.templateBytes)} | ${time(off)} | ${time(on)} | ${ratioCell} |`);
      }
    }
    lines.push('', '| library | resources per consumer | fixed resources | consumers per stack (≤ 500 resources) |', '|---|---:|---:|---:|');
    for (const name of CONSTRUCTS_NAMES) {
      const capacity = constructs.capacity[name];
      lines.push(`| ${name} | ${fmt(capacity.resourcesPerConsumer, 2)} | ${fmt(capacity.fixedResources, 0)} | ${capacity.consumersPerStack}${capacity.confirmed ? ' (confirmed by synth)' : ''} |`);
    }
    const largest = Object.keys(constructs.synth.validationOff).at(-1) ?? '';
    lines.push('', `| resource type (${largest.replace('consumers', '')} consumers) | ${CONSTRUCTS_NAMES.join(' | ')} |`, `|---|${CONSTRUCTS_NAMES.map(() => '---:').join('|')}|`);
    const types = [...new Set(CONSTRUCTS_NAMES.flatMap((name) => Object.keys(constructs.synth.validationOff[largest][name].resourcesByType)))].sort();
    for (const type of types) {
      lines.push(`| ${type} | ${CONSTRUCTS_NAMES.map((name) => constructs.synth.validationOff[largest][name].resourcesByType[type] ?? 0).join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
