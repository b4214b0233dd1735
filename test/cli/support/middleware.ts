import type { SQSClient } from '@aws-sdk/client-sqs';
import { uniqueName } from '../../runtime/support/aws';

/**
 * Fault injection on a real client: the `nth` call of `command` (1-based) throws before it
 * reaches the emulator, outside the SDK's retries, as if the connection dropped or the process
 * died at that point.
 */
export function failNthCall(client: SQSClient, command: string, nth: number): void {
  let calls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command && ++calls === nth) {
        throw Object.assign(new Error(`injected failure of ${command} call ${nth}`), { name: 'InjectedFault' });
      }
      return next(args);
    },
    { step: 'initialize', name: uniqueName('failNthCall') },
  );
}

/** One request the canned-response middleware answered: the operation and its JSON body as the SDK serialized it. */
export interface AnsweredRequest {
  readonly operation: string;
  readonly body: Record<string, unknown>;
}

/**
 * Answers chosen SQS operations with canned HTTP responses on a real client and lets every other
 * one through to the emulator. It sits just before the network, inside the SDK's deserializer,
 * so the request is serialized and the response parsed by the real SDK code. `responses` maps
 * an operation (e.g. `StartMessageMoveTask`) to its successive response bodies (the last
 * repeats). Returns the answered requests, in order.
 */
export function answerOperations(client: SQSClient, responses: Readonly<Record<string, readonly object[]>>): AnsweredRequest[] {
  const answered: AnsweredRequest[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body?: string };
      const operation = (request.headers['x-amz-target'] ?? '').replace('AmazonSQS.', '');
      const bodies = responses[operation];
      if (!bodies) return next(args);
      const index = answered.filter((entry) => entry.operation === operation).length;
      answered.push({ operation, body: JSON.parse(request.body ?? '{}') });
      const response = {
        statusCode: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `recorded-${operation}-${index}` },
        body: Buffer.from(JSON.stringify(bodies[Math.min(index, bodies.length - 1)])),
      };
      return { response, output: undefined as never };
    },
    // Low priority in the deserialize step runs after the SDK's deserializer hands the request on: next would be the network.
    { step: 'deserialize', priority: 'low', name: uniqueName('answerOperations') },
  );
  return answered;
}
