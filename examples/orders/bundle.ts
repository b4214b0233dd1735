import { buildSync } from 'esbuild';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

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
  });
  return lambda.Code.fromAsset(outdir);
}
