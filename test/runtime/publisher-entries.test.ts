/*
 * The entry points of the SQS, Kinesis and Kafka publishers load only their own client: a Lambda
 * or a service bundles one without the others (esbuild, the AWS SDK external as Lambda provides it).
 */
import { buildSync } from 'esbuild';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/** The packages an ESM bundle of an entry imports (everything but node: built-ins stays external). */
function imports(name: string): string[] {
  const result = buildSync({
    entryPoints: [join(ROOT, 'runtime/src/entries', `${name}.ts`)],
    bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'error',
    external: ['@aws-sdk/*', 'kafkajs'],
  });
  const text = result.outputFiles[0].text;
  return [...new Set([...text.matchAll(/from\s*"([^"]+)"/g)].map((match) => match[1]).filter((name) => !name.startsWith('node:')))].sort();
}

test.each([
  ['sqs-publisher', ['@aws-sdk/client-sqs']],
  ['kinesis-publisher', ['@aws-sdk/client-kinesis']],
  // kafkajs's types only: the caller passes the Kafka instance.
  ['kafka-publisher', []],
])('%s imports %p only', (entry, expected: string[]) => {
  expect(imports(entry)).toEqual(expected);
});
