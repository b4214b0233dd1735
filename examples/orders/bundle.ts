import { buildSync } from 'esbuild';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * In this repository the handlers bundle `@cdk-fanout/runtime` from its sources, as
 * tsconfig.dev.json maps the package names; an app that installs the package leaves this out.
 */
const REPOSITORY_TSCONFIG = path.join(__dirname, '..', '..', 'tsconfig.dev.json');

/**
 * Bundles a handler with esbuild at synth time and returns it as a Lambda asset: no Docker, and
 * `cdk synth` works from a clean clone. The AWS SDK v3 stays out of the bundle: the Node.js
 * Lambda runtime provides it.
 */
export function bundledHandler(entry: string): lambda.Code {
  const name = path.basename(entry, path.extname(entry));
  const outdir = path.join(__dirname, '..', '..', 'build', 'handlers', name);
  buildSync({
    entryPoints: [entry],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    logLevel: 'error',
    tsconfig: REPOSITORY_TSCONFIG,
  });
  return lambda.Code.fromAsset(outdir);
}
