/** A local JSON receiver (node:http) standing in for a webhook, warehouse or notification URL in tests. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it arrived: `body` is the parsed JSON (undefined when empty or not JSON). */
export interface IncomingJson {
  at: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A request with the status the receiver answered. */
export interface ReceivedJson extends IncomingJson {
  status: number;
}

export interface ReceiverAnswer {
  status: number;
  /** Sent as JSON; no body when undefined. */
  body?: unknown;
}

/** Decides the answer to a request; `index` is its 0-based position among all requests received. */
export type Responder = (req: IncomingJson, index: number) => ReceiverAnswer;

export interface JsonReceiver {
  /** `http://127.0.0.1:<port>/hook` (any path is accepted). */
  url: string;
  /** Every request so far, in order of arrival. */
  requests: ReceivedJson[];
  /** Answers the following requests with `respond` (without one: the responder given at start). */
  respondWith(respond?: Responder): void;
  /** Bodies of the requests answered 2xx. */
  delivered(): unknown[];
  close(): Promise<void>;
}

const ok: Responder = () => ({ status: 200 });

/** Starts a receiver on an ephemeral port of 127.0.0.1; answers 200 with no body unless told otherwise. */
export async function startJsonReceiver(respond: Responder = ok): Promise<JsonReceiver> {
  const requests: ReceivedJson[] = [];
  let current = respond;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const incoming: IncomingJson = { at: Date.now(), headers: req.headers, body };
      const answer = current(incoming, requests.length);
      requests.push({ ...incoming, status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    respondWith(next) {
      current = next ?? respond;
    },
    delivered: () => requests.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
