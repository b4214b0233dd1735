import type { BenchResults } from './results';
import { CONSTRUCTS_NAMES } from './constructs/stacks';

/** The results as the Markdown tables of bench/README.md. */
export function markdownReport(results: BenchResults): string {
  const lines: string[] = [];
  const { runtime, constructs, ratios } = results;
  const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const goalFor = (metric: string) => results.goals.find((goal) => goal.metric === metric);
  const verdict = (metric: string) => {
    const goal = goalFor(metric);
    return goal ? `${goal.goal} ${goal.met ? '✅' : '❌'}` : '';
  };

  if (runtime) {
    lines.push('| runtime metric | cdk-fanout | Powertools 2.35 | ratio | goal |', '|---|---:|---:|---:|---|');
    for (const [variant, bundles] of Object.entries(runtime.bundles)) {
      lines.push(`| bundle bytes, ${variant} | ${fmt(bundles['cdk-fanout'].bytes)} | ${fmt(bundles.powertools.bytes)} | ${ratios[`bundleBytes.${variant}`]} | ${verdict(`bundle size (${variant})`)} |`);
    }
    const library = runtime.bundles.sdkExternal;
    lines.push(`| library bytes (without zod and handler), sdkExternal | ${fmt(library['cdk-fanout'].libraryBytes)} | ${fmt(library.powertools.libraryBytes)} | ${ratios['libraryBytes.sdkExternal']} | ${verdict('bundle size (library only, sdkExternal)')} |`);
    for (const [variant, imports] of Object.entries(runtime.coldImport.bundles)) {
      lines.push(`| cold import ms, ${variant} | ${fmt(imports['cdk-fanout'].netMs, 1)} | ${fmt(imports.powertools.netMs, 1)} | ${ratios[`coldImportMs.${variant}`]} | ${verdict(`cold import (${variant})`)} |`);
    }
    for (const [batch, cpu] of Object.entries(runtime.cpuPerRecord)) {
      lines.push(`| CPU µs per record, ${batch} | ${fmt(cpu['cdk-fanout'].netMicros.median)} | ${fmt(cpu.powertools.netMicros.median)} | ${ratios[`cpuMicrosPerRecord.${batch}`]} | ${verdict(`CPU per record (${batch})`)} |`);
    }
    for (const [batch, rate] of Object.entries(runtime.recordsPerSecond)) {
      lines.push(`| records/s on DynamoDB Local, ${batch} | ${fmt(rate['cdk-fanout'].median)} | ${fmt(rate.powertools.median)} | ${ratios[`recordsPerSecond.${batch}`]} | ${verdict(`records/s (${batch})`)} |`);
    }
    const requests = runtime.requestsPerRecord;
    for (const kind of ['fresh', 'duplicate', 'failed'] as const) {
      const ops = (name: 'cdk-fanout' | 'powertools') => Object.entries(requests[name].operations[kind]).map(([op, n]) => `${op} ${n / 10}`).join(' + ');
      const metric = kind === 'duplicate' ? 'DynamoDB requests per duplicate (cdk-fanout)' : `DynamoDB requests per ${kind} record (cdk-fanout)`;
      lines.push(`| DynamoDB requests per ${kind} record | ${requests['cdk-fanout'][kind]} (${ops('cdk-fanout')}) | ${requests.powertools[kind]} (${ops('powertools')}) | | ${verdict(metric)} |`);
    }
    lines.push('');
  }

  if (constructs) {
    lines.push('| consumers | library | resources | template bytes | synth CPU ms (wall ms), validation off | synth CPU ms (wall ms), validation on | CPU ratio vs aws-cdk-lib, off / on |', '|---:|---|---:|---:|---:|---:|---|');
    for (const count of Object.keys(constructs.synth.validationOff)) {
      for (const name of CONSTRUCTS_NAMES) {
        const off = constructs.synth.validationOff[count][name];
        const on = constructs.synth.validationOn[count]?.[name];
        const time = (figures: typeof off | undefined) => (figures ? `${fmt(figures.cpuMs.median)} (${fmt(figures.totalMs.median)})` : '–');
        const ratioText = name === 'cdk-fanout'
          ? (['validationOff', 'validationOn'] as const).map((v) => {
            const goal = goalFor(`synth CPU vs aws-cdk-lib (${count}, ${v})`);
            return goal ? `${goal.value} ${goal.met ? '✅' : '❌'}` : '–';
          }).join(' / ')
          : '';
        lines.push(`| ${count.replace('consumers', '')} | ${name} | ${off.resources} | ${fmt(off.templateBytes)} | ${time(off)} | ${time(on)} | ${ratioText} |`);
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
