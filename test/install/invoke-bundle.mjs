// Loads one bundled consumer (ESM .mjs or CommonJS .cjs) in this fresh process, as Lambda's Node.js
// runtime would, invokes its `handler` with the SQS event in a JSON file and prints the result on a
// line `RESULT <json>`. Usage: node invoke-bundle.mjs <bundle> <event.json>
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile] = process.argv.slice(2);
const mod = await import(pathToFileURL(path.resolve(bundle)).href);
const handler = mod.handler;
if (typeof handler !== 'function') {
  throw new Error(`${bundle} has no exported function "handler" (exports: ${Object.keys(mod).join(', ')})`);
}
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = { awsRequestId: 'install-test', getRemainingTimeInMillis: () => 30_000 };
const result = await handler(event, context);
process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
