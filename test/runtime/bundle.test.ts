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

  // About 50 KB (every source, batched idempotency, claim checks, environments): the budget catches a package bundled by mistake.
  test('at most 64 KB minified, with no validation library or other package inside', () => {
    expect(result.outputFiles![0].contents.byteLength).toBeLessThanOrEqual(64 * 1024);
    expect(Object.keys(result.metafile!.inputs).filter((input) => input.includes('node_modules'))).toEqual([]);
  });

  test('imports the DynamoDB client (idempotency) and the SQS client (poison), never SNS; S3 only by import() on the first claim check', () => {
    expect(sdkImports(text)).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs']);
    expect(text.match(/\bimport\("@aws-sdk\/client-s3"\)/g)).toHaveLength(1);
  });
});

test('an ESM consumer bundle has no require(): every import is static', () => {
  const text = bundle(entry('consumer'), 'esm').outputFiles![0].text;
  expect(text).not.toMatch(/\brequire\(/);
  expect(text).toMatch(/import\s*\{[^}]*\}\s*from\s*"@aws-sdk\/client-sqs"/);
});

test.each(['publisher', 'sqs-publisher', 'kinesis-publisher'])('the %s entry imports its own client only, S3 by import() on the first large message', (name) => {
  const text = bundle(entry(name), 'esm').outputFiles![0].text;
  expect(sdkImports(text)).toEqual([`@aws-sdk/client-${name === 'publisher' ? 'sns' : name.replace('-publisher', '')}`]);
  expect(text).toMatch(/\bimport\("@aws-sdk\/client-s3"\)/);
});

test('the envelope entry imports no AWS client', () => {
  expect(sdkImports(bundle(entry('envelope'), 'esm').outputFiles![0].text)).toEqual([]);
});

/** Which of the clients a process has loaded so far (an import() of a CommonJS package lands in require.cache too). */
const LOADED = `['client-dynamodb', 'client-sqs', 'client-sns', 'client-s3'].filter((c) => Object.keys(require.cache).some((k) => k.includes('@aws-sdk/' + c + '/')))`;

/** Runs `probe(file)`'s script in a new Node process next to a CommonJS consumer bundle at `file`; what it printed, parsed. */
function runBesideConsumerBundle(probe: (file: string) => string, env: NodeJS.ProcessEnv): unknown {
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  // Inside the project, so the external SDK resolves from its node_modules as Lambda's runtime provides it.
  const dir = mkdtempSync(join(ROOT, 'build/bundle-'));
  try {
    const file = join(dir, 'consumer.js');
    bundle(entry('consumer'), 'cjs', file);
    return JSON.parse(execFileSync(process.execPath, ['-e', probe(file)], { cwd: ROOT, env: { ...process.env, ...env } }).toString());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a CommonJS consumer bundle loads DynamoDB and SQS at import, and SNS never', () => {
  const probe = (file: string) => `
    const runtime = require(${JSON.stringify(file)});
    runtime.createConsumer({ handlers: {} });
    console.log(JSON.stringify(${LOADED}));`;
  expect(runBesideConsumerBundle(probe, { AWS_REGION: 'us-east-1' })).toEqual(['client-dynamodb', 'client-sqs']);
});

test('a consumer bundle loads the S3 client on its first claim check, not before (the real import(), which jest cannot run)', () => {
  const envelope = (id: string) => JSON.stringify({ id, type: 'order.created', version: '1', timestamp: '2026-11-30T00:00:00Z', source: 'probe', data: {} });
  const record = (id: string, body: string) => ({ messageId: id, body, attributes: {}, messageAttributes: {}, eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q' });
  const pointer = JSON.stringify(['software.amazon.payloadoffloading.PayloadS3Pointer', { s3BucketName: 'payloads', s3Key: 'default/order.created/k' }]);
  const probe = (file: string) => `
    const runtime = require(${JSON.stringify(file)});
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const handler = runtime.createConsumer({ logger: quiet, handlers: { 'order.created': { handle() {} } } });
    (async () => {
      const plain = await handler({ Records: [${JSON.stringify(record('m-1', envelope('e-1')))}] });
      const before = ${LOADED};
      // Nothing listens on port 9: the read fails, retryably, after the client was loaded.
      const claimed = await handler({ Records: [${JSON.stringify(record('m-2', pointer))}] });
      console.log(JSON.stringify({ plain, before, claimed, after: ${LOADED} }));
    })();`;
  const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'probe', AWS_SECRET_ACCESS_KEY: 'probe', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' };
  expect(runBesideConsumerBundle(probe, env)).toEqual({
    plain: { batchItemFailures: [] },
    before: ['client-dynamodb', 'client-sqs'],
    claimed: { batchItemFailures: [{ itemIdentifier: 'm-2' }] },
    after: ['client-dynamodb', 'client-sqs', 'client-s3'],
  });
});
