import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the proxy saw: the operation and its parameters. */
export interface ProxiedRequest {
  readonly operation: string;
  readonly body: Record<string, unknown>;
  /** Answered from `canned` rather than by the emulator. */
  readonly canned: boolean;
}

export interface Proxy {
  /** `--endpoint` for the command under test. */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * An endpoint for a `fanout` run in this process that answers chosen operations with recorded
 * responses and forwards every other request to `target` (fauxqs), unchanged. It stands where
 * AWS would, so the command's own clients are tested as they are built (no emulator implements
 * message move tasks or CloudFormation). `canned` maps an operation to its successive response
 * bodies (the last repeats): objects for JSON-protocol services (SQS), XML strings for
 * query-protocol ones (CloudFormation).
 */
export async function startProxy(target: string, canned: Readonly<Record<string, readonly (object | string)[]>>): Promise<Proxy> {
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const { operation, body } = readRequest(request.headers, raw.toString('utf8'));
      const bodies = canned[operation];
      requests.push({ operation, body, canned: bodies !== undefined });
      if (bodies) {
        const index = requests.filter((entry) => entry.operation === operation).length - 1;
        const answer = bodies[Math.min(index, bodies.length - 1)];
        response.writeHead(200, { 'content-type': typeof answer === 'string' ? 'text/xml' : 'application/x-amz-json-1.0', 'x-amzn-requestid': `recorded-${operation}-${index}` });
        response.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
        return;
      }
      const forwarded = http.request(new URL(request.url ?? '/', target), { method: request.method, headers: { ...request.headers, host: new URL(target).host } }, (answer) => {
        response.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(response);
      });
      forwarded.on('error', (error) => response.destroy(error));
      forwarded.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** JSON protocol: the operation is in X-Amz-Target; query protocol: in the form body's Action. */
function readRequest(headers: http.IncomingHttpHeaders, text: string): { operation: string; body: Record<string, unknown> } {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return { operation: target.slice(target.indexOf('.') + 1), body: JSON.parse(text || '{}') };
  const { Action, Version, ...body } = Object.fromEntries(new URLSearchParams(text));
  return { operation: Action ?? '', body };
}
