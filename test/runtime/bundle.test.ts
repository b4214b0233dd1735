import { buildSync, type Format } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const entry = (name: string) => join(ROOT, 'runtime/src/entries', `${name}.ts`);

/** A bundle as a Lambda user makes one: the AWS SDK external, as the Node.js runtime provides it. */
function bundle(entryPoint: string, format: Format, outfile?: string) {
  return buildSync({
    entryPoints: [entryPoint],
    bundle: true,
    minify: outfile === undefined,
    platform: 'node',
    format,
    external: ['@aws-sdk/*'],
    write: outfile !== undefined,
    ...(outfile ? { outfile } : {}),
    metafile: true,
    logLevel: 'error',
  });
}

/** The AWS SDK packages a bundle imports, read from its import statements (ESM) or require calls (CJS). */
function sdkImports(text: string): string[] {
  const found = [...text.matchAll(/(?:from\s*|require\()\s*"(@aws-sdk\/[^"]+)"/g)].map((match) => match[1]);
  return [...new Set(found)].sort();
}

describe.each<Format>(['esm', 'cjs'])('consumer bundle, %s', (format) => {
  const result = bundle(entry('consumer'), format);
  const text = result.outputFiles![0].text;

  test('at most 50 KB minified, with no validation library or other package inside', () => {
    expect(result.outputFiles![0].contents.byteLength).toBeLessThanOrEqual(50 * 1024);
    expect(Object.keys(result.metafile!.inputs).filter((input) => input.includes('node_modules'))).toEqual([]);
  });

  test('imports the DynamoDB client (idempotency) and the SQS client (poison), never SNS', () => {
    expect(sdkImports(text)).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs']);
  });
});

test('an ESM consumer bundle has no require(): every import is static', () => {
  const text = bundle(entry('consumer'), 'esm').outputFiles![0].text;
  expect(text).not.toMatch(/\brequire\(/);
  expect(text).toMatch(/import\s*\{[^}]*\}\s*from\s*"@aws-sdk\/client-sqs"/);
});

test('the publisher entry imports the SNS client only', () => {
  expect(sdkImports(bundle(entry('publisher'), 'esm').outputFiles![0].text)).toEqual(['@aws-sdk/client-sns']);
});

test('the envelope entry imports no AWS client', () => {
  expect(sdkImports(bundle(entry('envelope'), 'esm').outputFiles![0].text)).toEqual([]);
});

test('a CommonJS consumer bundle loads DynamoDB and SQS at import, and SNS never', () => {
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  // Inside the project, so the external SDK resolves from its node_modules as Lambda's runtime provides it.
  const dir = mkdtempSync(join(ROOT, 'build/bundle-'));
  try {
    const file = join(dir, 'consumer.js');
    bundle(entry('consumer'), 'cjs', file);
    const probe = `
      const runtime = require(${JSON.stringify(file)});
      runtime.createConsumer({ handlers: {} });
      const loaded = ['client-dynamodb', 'client-sqs', 'client-sns'].filter((c) => Object.keys(require.cache).some((k) => k.includes('@aws-sdk/' + c + '/')));
      console.log(JSON.stringify(loaded));`;
    const output = execFileSync(process.execPath, ['-e', probe], { cwd: ROOT, env: { ...process.env, AWS_REGION: 'us-east-1' } }).toString();
    expect(JSON.parse(output)).toEqual(['client-dynamodb', 'client-sqs']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
