/* The rabbitmq entry as a bundler sees it: amqplib is the caller's (only its types are used), every import static. */
import { buildSync, type Format } from 'esbuild';
import { join } from 'node:path';

const ENTRY = join(__dirname, '../../runtime/src/entries/rabbitmq.ts');

describe.each<Format>(['esm', 'cjs'])('rabbitmq bundle, %s', (format) => {
  const result = buildSync({ entryPoints: [ENTRY], bundle: true, minify: true, platform: 'node', format, external: ['@aws-sdk/*'], write: false, metafile: true, logLevel: 'error' });
  const text = result.outputFiles[0].text;

  test('no package inside, amqplib never loaded: the connection is the caller\'s', () => {
    expect(Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules'))).toEqual([]);
    expect(text).not.toMatch(/(?:from\s*|require\()\s*"amqplib"/);
  });

  test('the AWS clients it imports: DynamoDB and SQS (createConsumer), never SNS', () => {
    const imported = [...new Set([...text.matchAll(/(?:from\s*|require\()\s*"(@aws-sdk\/[^"]+)"/g)].map((match) => match[1]))].sort();
    expect(imported).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs']);
  });
});
