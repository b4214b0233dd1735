import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** What SQS accepts in a message body: #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF. */
const INVALID_SQS_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * fauxqs 1.9.2 tests bodies against SQS's character ranges without the astral planes (its
 * pattern has no `u` flag and omits #x10000–#x10FFFF), so it refuses any body with an emoji that
 * AWS accepts: such poison could never reach a DLQ locally, and a redrive would stop at it. Its
 * SendMessage and SendMessageBatch share one pattern object; this gives that object the test SQS
 * documents. fauxqs exports only its entry point, so the module is found next to it on disk; the
 * URL is the one fauxqs itself loads, hence the same object.
 */
export async function acceptAstralCharacters(importEsm: <T>(specifier: string) => Promise<T>): Promise<void> {
  const file = require.resolve.paths('fauxqs')
    ?.map((dir) => path.join(dir, 'fauxqs', 'dist', 'sqs', 'sqsTypes.js'))
    .find((candidate) => fs.existsSync(candidate));
  if (!file) {
    throw new Error('fauxqs is installed without dist/sqs/sqsTypes.js: this version of @cdk-fanout/local needs fauxqs 1.9.2');
  }
  const { INVALID_MESSAGE_BODY_CHAR: pattern } = await importEsm<{ INVALID_MESSAGE_BODY_CHAR?: RegExp }>(pathToFileURL(file).href);
  if (!(pattern instanceof RegExp)) {
    throw new Error(`fauxqs's ${file} no longer exports INVALID_MESSAGE_BODY_CHAR: this version of @cdk-fanout/local needs fauxqs 1.9.2`);
  }
  pattern.test = (text: string) => INVALID_SQS_CHARACTER.test(text);
}
