/*
 * The listing under `fanout dlq inspect` (peekMessages) against fauxqs, when it takes longer than
 * the visibility timeout of what it received: slow receives of one message each, with a
 * visibility of 2 s. It must neither list a message twice nor leave any hidden.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSourceAndDlq, depth, envelopeBody, envelopeId, send, sqsClient, uniqueName } from '@cdk-fanout/testing';
import { peekMessages } from '../../cli/src/commands/peek';

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(() => sqs.destroy());

/** Every ReceiveMessage of `client` returns at most one message, after `delayMs`. */
function slowReceives(client: SQSClient, delayMs: number): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ReceiveMessageCommand') {
        await sleep(delayMs);
        Object.assign(args.input as object, { MaxNumberOfMessages: 1 });
      }
      return next(args);
    },
    { step: 'initialize', name: uniqueName('slowReceives') },
  );
}

test('a listing that outlasts its visibility timeout lists each message once and leaves none hidden', async () => {
  const { dlq } = await createSourceAndDlq(sqs, 'cli-peek-slow');
  const ids = ['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6'];
  for (const id of ids) await send(sqs, dlq.url, envelopeBody(id));
  const slow = sqsClient();
  slowReceives(slow, 700);

  // Six receives of 0.7 s each: over 4 s, twice the visibility.
  const { messages, stillHidden } = await peekMessages(slow, dlq.url, 20, { visibilityTimeoutSeconds: 2 });
  slow.destroy();

  expect(messages.map((message) => envelopeId(message.Body)).sort()).toEqual(ids);
  expect(stillHidden).toBe(0);
  expect(await depth(sqs, dlq.url)).toEqual({ visible: ids.length, inFlight: 0 });
}, 30_000);
