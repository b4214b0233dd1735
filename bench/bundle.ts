import { build, type Metafile } from 'esbuild';
import * as path from 'node:path';
import type { RuntimeSubject } from './subjects';

/** With the AWS SDK left to the Lambda runtime (as deployed), or bundled in (a pinned SDK). */
export const BUNDLE_VARIANTS = ['sdkExternal', 'sdkBundled'] as const;
export type BundleVariant = (typeof BUNDLE_VARIANTS)[number];

export interface Bundle {
  readonly file: string;
  readonly bytes: number;
  /**
   * The bytes the runtime library costs: the bundle without what both handlers share (zod, which
   * holds the user's schema, and the benchmark's own handler code).
   */
  readonly libraryBytes: number;
  /** The largest contributors to the minified output: packages, `(handler)` for bench/, `(cdk-fanout)` for this repository's runtime. */
  readonly largestPackages: Record<string, number>;
}

/** Contributors both bundles carry alike. */
const SHARED = new Set(['zod', '(handler)']);

export const WORK_DIR = path.join(__dirname, '.work');

/** Bundles a runtime's handler the way Lambda users do: esbuild, minified, Node target, CommonJS. */
export async function bundleHandler(subject: RuntimeSubject, variant: BundleVariant): Promise<Bundle> {
  const file = path.join(WORK_DIR, 'bundles', `${subject.name}-${variant}`, 'index.js');
  const result = await build({
    entryPoints: [subject.entry],
    outfile: file,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: variant === 'sdkExternal' ? ['@aws-sdk/*'] : [],
    metafile: true,
    logLevel: 'error',
  });
  // One entry point, one output file.
  const [output] = Object.values(result.metafile.outputs);
  const byContributor = contributors(output);
  const shared = [...byContributor].filter(([name]) => SHARED.has(name)).reduce((sum, [, bytes]) => sum + bytes, 0);
  return {
    file,
    bytes: output.bytes,
    libraryBytes: output.bytes - shared,
    largestPackages: Object.fromEntries([...byContributor].sort((a, b) => b[1] - a[1]).slice(0, 10)),
  };
}

function contributors(output: Metafile['outputs'][string]): Map<string, number> {
  const byContributor = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? (input.startsWith('bench/') ? '(handler)' : '(cdk-fanout)');
    byContributor.set(name, (byContributor.get(name) ?? 0) + bytesInOutput);
  }
  return byContributor;
}
