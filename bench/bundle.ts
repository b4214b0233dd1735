import { build, type Metafile } from 'esbuild';
import * as path from 'node:path';
import type { HandlerModule } from './handlers/handler-options';
import { BUNDLES, type BundleName } from './subjects';

export interface Bundle {
  readonly file: string;
  readonly bytes: number;
  /**
   * The bytes the runtime library costs: the bundle without the schema library (zod or valibot,
   * which holds the user's schema) and the benchmark's own handler code.
   */
  readonly libraryBytes: number;
  /** Every contributor to the minified output, largest first: packages, `(handler)` for bench/handlers. */
  readonly contributors: Record<string, number>;
}

/** Contributors that are the user's, not the runtime library's. */
const NOT_LIBRARY = new Set(['zod', 'valibot', '(handler)']);

export const WORK_DIR = path.join(__dirname, '.work');
const ROOT = path.join(__dirname, '..');

/**
 * Bundles a handler module as a user's `NodejsFunction` does (aws-cdk-lib's bundling: esbuild,
 * `--bundle --platform=node --target=node20`, CommonJS, `@aws-sdk/*` external because the Lambda
 * Node.js runtime provides it), with `minify` on (its `bundling.minify`). Imports resolve through
 * node_modules: `@cdk-fanout/runtime/consumer` is the package's export, runtime/dist/esm (the
 * bundle is refused if any runtime source file got in).
 */
export async function bundleHandler(name: BundleName): Promise<Bundle> {
  const file = path.join(WORK_DIR, 'bundles', name, 'index.js');
  const result = await build({
    entryPoints: [path.join(__dirname, 'handlers', `${name}.ts`)],
    outfile: file,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'error',
  });
  const [output] = Object.values(result.metafile.outputs);
  const source = Object.keys(output.inputs).find((input) => input.startsWith('runtime/src/'));
  if (source) throw new Error(`${BUNDLES[name]}: the bundle holds ${source}, not the published build (runtime/dist)`);
  const byContributor = contributors(output);
  const userBytes = [...byContributor].filter(([contributor]) => NOT_LIBRARY.has(contributor)).reduce((sum, [, bytes]) => sum + bytes, 0);
  return {
    file,
    bytes: output.bytes,
    libraryBytes: output.bytes - userBytes,
    contributors: Object.fromEntries([...byContributor].sort((a, b) => b[1] - a[1])),
  };
}

function contributors(output: Metafile['outputs'][string]): Map<string, number> {
  const byContributor = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1]
      ?? (input.startsWith('runtime/dist/') ? '@cdk-fanout/runtime' : input.startsWith('bench/') ? '(handler)' : `(other: ${input})`);
    byContributor.set(name, (byContributor.get(name) ?? 0) + bytesInOutput);
  }
  return byContributor;
}

/** The bundle's file, for the worker (built by the parent first). */
export function bundleFile(name: BundleName): string {
  return path.join(WORK_DIR, 'bundles', name, 'index.js');
}

/** Loads a bundle as Lambda would load it, for the harness to create handlers from. */
export function loadBundle(name: BundleName): HandlerModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(bundleFile(name)) as HandlerModule;
}

export { ROOT };
