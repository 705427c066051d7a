/** A TCP proxy a test can cut and restore, to take a real server (e.g. PostgreSQL) "off the network". */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** True while connections are refused. */
  readonly cut: boolean;
  /** Drops every open connection and refuses new ones until restore(). */
  cutOff(): void;
  /** Forwards new connections to the target again. */
  restore(): void;
  /** Connections accepted so far (refused ones included). */
  readonly connections: number;
  close(): Promise<void>;
}

/** Listens on an ephemeral port of 127.0.0.1 and pipes each connection to `target`; `cut` starts it cut off. */
export async function startTcpProxy(
  target: { host: string; port: number },
  opts: { cut?: boolean } = {},
): Promise<TcpProxy> {
  let cut = opts.cut ?? false;
  let connections = 0;
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    connections++;
    track(client);
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get cut() {
      return cut;
    },
    get connections() {
      return connections;
    },
    cutOff() {
      cut = true;
      for (const s of open) s.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
