import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/**
 * A tiny webhook receiver for tests: answers each request with the next status of `statuses`
 * (the last one repeats) and a JSON body; `answer` can decide instead.
 */
export async function startReceiver(
  opts: { statuses?: number[]; answer?: (r: Received) => { status: number; body: unknown } } = {},
): Promise<Receiver> {
  const received: Received[] = [];
  const statuses = opts.statuses ?? [202];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const answer = opts.answer?.(r) ?? {
        status: statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 202,
        body: { status: 'accepted' },
      };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/genesys`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
