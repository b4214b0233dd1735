import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/*
 * Two places where fauxqs 1.9.2 differs from SQS in ways a fan-out notices, corrected from
 * outside. fauxqs exports only its entry point, so its modules are found next to it on disk; the
 * file URLs are the ones fauxqs itself loads, hence the same module instances.
 */

type ImportEsm = <T>(specifier: string) => Promise<T>;

/** What SQS accepts in a message body: #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF. */
const INVALID_SQS_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * fauxqs tests bodies against SQS's character ranges without the astral planes (its pattern has
 * no `u` flag), so it refuses any body with an emoji that AWS accepts: such poison could never
 * reach a DLQ locally, and a redrive would stop at it. SendMessage and SendMessageBatch share one
 * pattern object; this gives that object the test SQS documents.
 */
export async function acceptAstralCharacters(importEsm: ImportEsm): Promise<void> {
  const { INVALID_MESSAGE_BODY_CHAR: pattern } = await fauxqsModule<{ INVALID_MESSAGE_BODY_CHAR?: unknown }>(importEsm, 'sqs/sqsTypes.js');
  if (!(pattern instanceof RegExp)) {
    throw new Error('fauxqs no longer exports INVALID_MESSAGE_BODY_CHAR: @cdk-fanout/local needs fauxqs 1.9.2');
  }
  pattern.test = (text: string) => INVALID_SQS_CHARACTER.test(text);
}

/** The stores `buildApp` takes, with queue URLs on the address clients used. */
export interface FauxqsStores {
  readonly sqsStore: object;
  readonly snsStore: object;
  readonly s3Store: object;
}

/**
 * fauxqs names queues `http://sqs.<region>.localhost:<port>/…` unless its SQS store has no host;
 * then a URL carries the host the client called (127.0.0.1:port). The SDK sends SQS requests to
 * the queue URL's host, and `*.localhost` resolves in no other process: a handler or test that
 * reaches fauxqs through AWS_ENDPOINT_URL_SQS could not send to its DLQ.
 */
export async function storesWithLoopbackQueueUrls(importEsm: ImportEsm): Promise<FauxqsStores> {
  const [{ SqsStore }, { SnsStore }, { S3Store }] = await Promise.all([
    fauxqsModule<{ SqsStore: new () => { host: string } }>(importEsm, 'sqs/sqsStore.js'),
    fauxqsModule<{ SnsStore: new () => object }>(importEsm, 'sns/snsStore.js'),
    fauxqsModule<{ S3Store: new () => object }>(importEsm, 's3/s3Store.js'),
  ]);
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  return { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() };
}

async function fauxqsModule<T>(importEsm: ImportEsm, relative: string): Promise<T> {
  const file = require.resolve.paths('fauxqs')
    ?.map((dir) => path.join(dir, 'fauxqs', 'dist', relative))
    .find((candidate) => fs.existsSync(candidate));
  if (!file) {
    throw new Error(`fauxqs is installed without dist/${relative}: @cdk-fanout/local needs fauxqs 1.9.2`);
  }
  return importEsm<T>(pathToFileURL(file).href);
}
