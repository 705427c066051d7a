/** A notification receiver (node:http) that can be told to fail: answers 500 while failing, else 200. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotification {
  at: number;
  /** What the receiver answered. */
  status: number;
  body: unknown;
}

export interface NotifyReceiver {
  url: string;
  received: ReceivedNotification[];
  setFailing(failing: boolean): void;
  /** Bodies answered with 2xx. */
  delivered(): unknown[];
  close(): Promise<void>;
}

export async function startNotifyReceiver(): Promise<NotifyReceiver> {
  let failing = false;
  const received: ReceivedNotification[] = [];
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
      const status = failing ? 500 : 200;
      received.push({ at: Date.now(), status, body });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"ok":true}' : '{"error":"receiver down"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notify`,
    received,
    setFailing(next) {
      failing = next;
    },
    delivered: () => received.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
