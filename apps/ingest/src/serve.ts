import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** The PEM pair of TLS_CERT_FILE / TLS_KEY_FILE. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface ServeOptions {
  host: string;
  port: number;
  /** When set, HTTPS only (TLS 1.2 minimum); the files are read now and again on `reloadTls()`. */
  tls?: TlsFiles | undefined;
}

export interface RunningServer {
  server: HttpServer | HttpsServer;
  url: string;
  port: number;
  /**
   * HTTPS: reads the PEM pair again and makes it the one new connections get; open connections
   * keep theirs. Throws (the old pair stays in use) when the files are unreadable or do not match.
   * Plain HTTP: does nothing.
   */
  reloadTls(): void;
  /** Stops accepting, lets in-flight requests finish, and cuts what is left after `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

export const TLS_MIN_VERSION = 'TLSv1.2';

function readPair(tls: TlsFiles): { cert: Buffer; key: Buffer } {
  const pair = { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  // fails here, with OpenSSL's reason, on a bad PEM or a key that does not match the certificate
  createSecureContext({ ...pair, minVersion: TLS_MIN_VERSION });
  return pair;
}

/** Serves the app on host:port (port 0 for an ephemeral port), over HTTPS when `tls` is set. */
export function serveApp(app: Hono, opts: ServeOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const tls = opts.tls;
    const https = tls
      ? {
          createServer: createHttpsServer,
          serverOptions: {
            ...readPair(tls),
            minVersion: TLS_MIN_VERSION,
            handshakeTimeout: 10_000,
          } as const,
        }
      : {};
    const server = serve(
      { fetch: app.fetch, hostname: opts.host, port: opts.port, ...https },
      (info: AddressInfo) => {
        const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
        resolve({
          server,
          port: info.port,
          url: `${tls ? 'https' : 'http'}://${host}:${info.port}`,
          reloadTls: () => {
            if (tls)
              (server as HttpsServer).setSecureContext({
                ...readPair(tls),
                minVersion: TLS_MIN_VERSION,
              });
          },
          close: (deadlineMs = 10_000) => closeServer(server, deadlineMs),
        });
      },
    ) as HttpServer | HttpsServer;
    // a sender that stalls mid-request is cut off instead of holding a socket for minutes
    // (the webhook route also gives the body its own, shorter deadline: BODY_READ_TIMEOUT_MS)
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.once('error', reject);
  });
}

export interface RunningIngest {
  /** The public listener (webhook and health checks; everything when there is no admin listener). */
  public: RunningServer;
  /** The admin listener (/admin/*, /metrics) on ADMIN_PORT, when set. */
  admin: RunningServer | undefined;
  /** Reloads the TLS pair on every listener (see RunningServer.reloadTls). */
  reloadTls(): void;
  /** Closes every listener together. */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * Serves the ingest's apps: `app` on host:port and, with `adminPort`, `adminApp` on host:adminPort;
 * both over HTTPS when `tls` is set. If the second listener cannot start, the first is closed.
 */
export async function serveIngest(
  apps: { app: Hono; adminApp: Hono | undefined },
  opts: ServeOptions & { adminPort?: number | undefined },
): Promise<RunningIngest> {
  const { host, port, tls, adminPort } = opts;
  if (apps.adminApp && adminPort === undefined)
    throw new Error('the ingest has an admin app but no ADMIN_PORT to serve it on');
  if (!apps.adminApp && adminPort !== undefined)
    throw new Error('ADMIN_PORT is set but the ingest has no admin app');
  const pub = await serveApp(apps.app, { host, port, tls });
  let admin: RunningServer | undefined;
  if (apps.adminApp && adminPort !== undefined) {
    try {
      admin = await serveApp(apps.adminApp, { host, port: adminPort, tls });
    } catch (err) {
      await pub.close(0);
      throw err;
    }
  }
  const all = admin ? [pub, admin] : [pub];
  return {
    public: pub,
    admin,
    reloadTls() {
      // read and check first, so a bad pair leaves every listener on the old one
      if (tls) readPair(tls);
      for (const s of all) s.reloadTls();
    },
    async close(deadlineMs) {
      await Promise.all(all.map((s) => s.close(deadlineMs)));
    },
  };
}

function closeServer(server: HttpServer | HttpsServer, deadlineMs: number): Promise<void> {
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
