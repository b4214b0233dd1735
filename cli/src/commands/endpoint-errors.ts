import type { Readable } from 'node:stream';

/** Where a failure happened and what the user can change about it. */
export interface EndpointErrorContext {
  /** `--timeout`, in seconds. */
  readonly timeoutSeconds: number;
  /** `--endpoint` was given: it is the first thing to check. */
  readonly endpointGiven: boolean;
}

/** The part of an SDK client this needs: its middleware stack. */
interface WithMiddleware {
  readonly middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

/** The most of a body read to explain a non-AWS answer. */
const MAX_BODY_BYTES = 16_384;

/**
 * Turns the two network failures the SDK words for its own developers into one line for on-call,
 * naming the endpoint, the operation and the option to change:
 * - no answer within `--timeout` (the SDK's TimeoutError, still retried as one);
 * - an answer that is not AWS's (an HTML page, a proxy's error): the SDK would report a JSON
 *   parse error or "Unknown".
 * Sits just before the network, each attempt, so the retries see the same kind of error.
 */
export function explainEndpointErrors(client: WithMiddleware, context: EndpointErrorContext): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<{ response: unknown }>, handlerContext: { commandName?: string }) => async (args: { request: RequestLike }) => {
      const endpoint = origin(args.request);
      const operation = (handlerContext.commandName ?? 'request').replace(/Command$/, '');
      let result: { response: unknown };
      try {
        result = await next(args);
      } catch (error) {
        if ((error as Error)?.name !== 'TimeoutError') throw error;
        throw timeoutError(error as Error, endpoint, operation, context);
      }
      const response = result.response as ResponseLike;
      const contentType = String(header(response.headers, 'content-type') ?? '');
      if (isNotAws(response.statusCode, contentType)) {
        const text = await readText(response.body);
        throw Object.assign(new Error(`${endpoint} does not answer as AWS does: ${operation} got HTTP ${response.statusCode} (${contentType})${text ? ` "${text}"` : ''}; check ${context.endpointGiven ? '--endpoint' : '--region and your network (a proxy?)'}`), {
          name: 'NotAnAwsAnswer',
          // A 5xx page from a proxy is still retried like AWS's own 5xx.
          $metadata: { httpStatusCode: response.statusCode },
        });
      }
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'fanoutExplainEndpointErrors' },
  );
}

interface RequestLike {
  readonly protocol?: string;
  readonly hostname?: string;
  readonly port?: number;
}

interface ResponseLike {
  readonly statusCode: number;
  readonly headers: Record<string, string | undefined>;
  readonly body?: unknown;
}

function origin(request: RequestLike): string {
  return `${request.protocol ?? 'https:'}//${request.hostname ?? '?'}${request.port ? `:${request.port}` : ''}`;
}

function timeoutError(cause: Error, endpoint: string, operation: string, context: EndpointErrorContext): Error {
  const connecting = /establish a connection/.test(cause.message);
  const what = connecting ? `could not connect to ${endpoint}` : `no answer from ${endpoint}`;
  const check = context.endpointGiven ? '--endpoint and the network' : 'the network';
  return Object.assign(new Error(`${what} (${operation}) within ${context.timeoutSeconds} s: check ${check}, or allow longer with --timeout SECONDS`), {
    // Still a TimeoutError: the SDK retries it as one.
    name: 'TimeoutError',
    cause,
  });
}

/** AWS answers in JSON or XML; an HTML page, or an error in anything else, came from something else. */
function isNotAws(statusCode: number, contentType: string): boolean {
  if (/html/i.test(contentType)) return true;
  return statusCode >= 300 && contentType !== '' && !/json|xml/i.test(contentType);
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** The gist of a page: its title, else its text without tags, on one short line. */
async function readText(body: unknown): Promise<string> {
  let raw = '';
  try {
    if (typeof body === 'string') raw = body;
    else if (body instanceof Uint8Array) raw = Buffer.from(body).toString('utf8');
    else if (body && typeof (body as Readable)[Symbol.asyncIterator] === 'function') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body as Readable) {
        chunks.push(Buffer.from(chunk as Uint8Array));
        size += (chunk as Uint8Array).length;
        if (size >= MAX_BODY_BYTES) break;
      }
      raw = Buffer.concat(chunks).toString('utf8');
    }
  } catch {
    return '';
  }
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(raw)?.[1];
  const text = (title ?? raw.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
