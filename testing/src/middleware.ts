import type { SQSClient } from '@aws-sdk/client-sqs';
import { uniqueName } from './aws';

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

/** One request the canned-response middleware answered: the operation and its parameters as the SDK serialized them. */
export interface AnsweredRequest {
  readonly operation: string;
  readonly body: Record<string, unknown>;
}

/**
 * Answers chosen operations with canned HTTP responses on a real client and lets every other one
 * through to the emulator. It sits just before the network, inside the SDK's deserializer, so the
 * request is serialized and the response parsed by the real SDK code. `responses` maps an
 * operation (e.g. `StartMessageMoveTask`) to its successive response bodies (the last repeats):
 * objects for JSON-protocol services (SQS), XML strings for query-protocol ones (CloudFormation).
 * Returns the answered requests, in order.
 */
export function answerOperations(client: { middlewareStack: unknown }, responses: Readonly<Record<string, readonly (object | string)[]>>): AnsweredRequest[] {
  const answered: AnsweredRequest[] = [];
  (client.middlewareStack as SQSClient['middlewareStack']).add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body?: string | Uint8Array };
      const { operation, body } = readRequest(request);
      const bodies = responses[operation];
      if (!bodies) return next(args);
      const index = answered.filter((entry) => entry.operation === operation).length;
      answered.push({ operation, body });
      const canned = bodies[Math.min(index, bodies.length - 1)];
      const response = {
        statusCode: 200,
        headers: { 'content-type': typeof canned === 'string' ? 'text/xml' : 'application/x-amz-json-1.0', 'x-amzn-requestid': `recorded-${operation}-${index}` },
        body: Buffer.from(typeof canned === 'string' ? canned : JSON.stringify(canned)),
      };
      return { response, output: undefined as never };
    },
    // Low priority in the deserialize step runs after the SDK's deserializer hands the request on: next would be the network.
    { step: 'deserialize', priority: 'low', name: uniqueName('answerOperations') },
  );
  return answered;
}

/** JSON protocol: the operation is in X-Amz-Target; query protocol: in the form body's Action. */
function readRequest(request: { headers: Record<string, string>; body?: string | Uint8Array }): AnsweredRequest {
  const text = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
  const target = request.headers['x-amz-target'];
  if (target) return { operation: target.slice(target.indexOf('.') + 1), body: JSON.parse(text || '{}') };
  const { Action, Version, ...body } = Object.fromEntries(new URLSearchParams(text));
  return { operation: Action ?? '', body };
}
