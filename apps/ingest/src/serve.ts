import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish, and cuts what is left after `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

/** Serves the app on host:port (port 0 for an ephemeral port). */
export function serveApp(app: Hono, opts: { host: string; port: number }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, (info: AddressInfo) => {
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      resolve({
        server,
        port: info.port,
        url: `http://${host}:${info.port}`,
        close: (deadlineMs = 10_000) => closeServer(server, deadlineMs),
      });
    }) as Server;
    // a sender that stalls mid-request is cut off instead of holding a socket for minutes
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.once('error', reject);
  });
}

function closeServer(server: Server, deadlineMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), deadlineMs);
    timer.unref();
    // keep-alive connections become idle as their in-flight requests finish: drop them then
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.close(() => {
      clearTimeout(timer);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
