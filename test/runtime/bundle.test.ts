import { buildSync } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

test('the runtime bundles to at most 50 KB minified with the AWS SDK external, with no validation library', () => {
  const result = buildSync({
    entryPoints: [join(__dirname, '../../runtime/index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
  });
  const size = result.outputFiles[0].contents.byteLength;
  expect(size).toBeLessThanOrEqual(50 * 1024);
  const bundled = Object.keys(result.metafile.inputs);
  expect(bundled.filter((input) => input.includes('node_modules'))).toEqual([]);
});

test('importing the runtime loads the DynamoDB client only: SQS and SNS load when first used', () => {
  mkdirSync(join(__dirname, '../../build'), { recursive: true });
  // Inside the project, so the external SDK resolves from its node_modules as Lambda's runtime provides it.
  const dir = mkdtempSync(join(__dirname, '../../build/bundle-'));
  const bundle = join(dir, 'runtime.js');
  buildSync({
    entryPoints: [join(__dirname, '../../runtime/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    outfile: bundle,
    logLevel: 'error',
  });
  const probe = `
    const runtime = require(${JSON.stringify(bundle)});
    const loaded = () => ['client-dynamodb', 'client-sqs', 'client-sns'].filter((c) => Object.keys(require.cache).some((k) => k.includes('@aws-sdk/' + c + '/')));
    const atImport = loaded();
    new runtime.Publisher({ topicArn: 'arn:aws:sns:us-east-1:000000000000:t', source: 's' });
    console.log(JSON.stringify({ atImport, afterPublisher: loaded() }));`;
  const output = execFileSync(process.execPath, ['-e', probe], {
    cwd: join(__dirname, '../..'),
    env: { ...process.env, AWS_REGION: 'us-east-1' },
  }).toString();
  expect(JSON.parse(output)).toEqual({ atImport: ['client-dynamodb'], afterPublisher: ['client-dynamodb', 'client-sns'] });
  rmSync(dir, { recursive: true, force: true });
});
