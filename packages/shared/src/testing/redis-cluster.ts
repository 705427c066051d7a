import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { waitFor } from './wait';

const run = promisify(execFile);

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A free port whose cluster bus port (+10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

export interface ClusterNodeInfo {
  id: string;
  port: number;
}

/**
 * A real Redis Cluster for tests: `masters` redis-server processes (`--cluster-enabled yes`, no
 * persistence) on free ports in a temp dir, joined with `redis-cli --cluster create ...
 * --cluster-replicas 0 --cluster-yes`, ready once every node reports `cluster_state:ok`. `stop()`
 * kills them and removes the dir. Needs `redis-server` and `redis-cli` on the PATH.
 */
export class RedisClusterFixture {
  private readonly children = new Map<number, ChildProcess>();
  private readonly admins = new Map<number, Redis>();

  private constructor(
    readonly dir: string,
    readonly ports: number[],
  ) {}

  /** The seeds as REDIS_CLUSTER_NODES takes them. */
  get seeds(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  get nodes(): { host: string; port: number }[] {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  static async start(masters = 3): Promise<RedisClusterFixture> {
    const dir = mkdtempSync(join(tmpdir(), 'wrapup-cluster-'));
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) ports.push(await clusterPort(taken));
    const fx = new RedisClusterFixture(dir, ports);
    try {
      for (const port of ports) fx.spawnNode(port);
      await Promise.all(ports.map((port) => fx.waitPing(port)));
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...ports.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
      await fx.waitOk();
      return fx;
    } catch (err) {
      await fx.stop();
      throw err;
    }
  }

  private spawnNode(port: number): void {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(this.dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '5000',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.children.set(port, child);
  }

  /** A plain connection to one node (for CLUSTER commands), kept until stop(). */
  admin(port: number): Redis {
    let r = this.admins.get(port);
    if (!r) {
      r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false });
      r.on('error', () => undefined);
      this.admins.set(port, r);
    }
    return r;
  }

  private async waitPing(port: number): Promise<void> {
    await waitFor(
      async () => {
        try {
          return (await this.admin(port).ping()) === 'PONG';
        } catch {
          return false;
        }
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `redis-server on ${port}` },
    );
  }

  /** Waits until every node reports cluster_state:ok and agrees on all 16384 slots. */
  async waitOk(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        for (const port of this.ports) {
          const info = String(
            await this.admin(port)
              .cluster('INFO')
              .catch(() => ''),
          );
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384'))
            return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, what: 'cluster_state:ok on every node' },
    );
  }

  /** A Cluster client for the test's own checks (the caller closes it). */
  client(): Cluster {
    const c = new Cluster(this.nodes, { redisOptions: { maxRetriesPerRequest: null } });
    c.on('error', () => undefined);
    return c;
  }

  async keySlot(key: string): Promise<number> {
    return Number(await this.admin(this.ports[0] as number).cluster('KEYSLOT', key));
  }

  /** Each node's id. */
  async nodeInfo(): Promise<ClusterNodeInfo[]> {
    return Promise.all(
      this.ports.map(async (port) => ({
        id: String(await this.admin(port).cluster('MYID')),
        port,
      })),
    );
  }

  /** The port of the master serving `slot`. */
  async ownerOf(slot: number): Promise<number> {
    const slots = await this.admin(this.ports[0] as number).cluster('SLOTS');
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    const master = range?.[2];
    if (!master) throw new Error(`slot ${slot} is not served`);
    return master[1];
  }

  /**
   * Moves one slot to the node on `toPort` the way `redis-cli --cluster reshard` does, live:
   * SETSLOT IMPORTING on the target, MIGRATING on the source, then MIGRATE its keys `batch` at a
   * time (waiting `pauseMs` between batches, so clients meet ASK and TRYAGAIN while it runs),
   * then SETSLOT NODE everywhere (clients then meet MOVED). With `until`, the slot stays in
   * migration (keys written meanwhile are moved too) until that promise settles. Returns the
   * number of keys moved.
   */
  async moveSlot(
    slot: number,
    toPort: number,
    opts: { batch?: number; pauseMs?: number; until?: Promise<unknown> } = {},
  ): Promise<number> {
    let held = opts.until !== undefined;
    void opts.until?.finally(() => (held = false));
    const fromPort = await this.ownerOf(slot);
    if (fromPort === toPort) throw new Error(`slot ${slot} is already on ${toPort}`);
    const ids = new Map((await this.nodeInfo()).map((n) => [n.port, n.id]));
    const fromId = ids.get(fromPort) as string;
    const toId = ids.get(toPort) as string;
    const src = this.admin(fromPort);
    const dst = this.admin(toPort);
    await dst.cluster('SETSLOT', slot, 'IMPORTING', fromId);
    await src.cluster('SETSLOT', slot, 'MIGRATING', toId);
    let moved = 0;
    for (;;) {
      const keys = await src.cluster('GETKEYSINSLOT', slot, opts.batch ?? 20);
      if (keys.length === 0) {
        if (!held) break;
        await sleep(opts.pauseMs ?? 20);
        continue;
      }
      await src.call('MIGRATE', '127.0.0.1', toPort, '', 0, 10_000, 'REPLACE', 'KEYS', ...keys);
      moved += keys.length;
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
    // the target first, then the source, then everyone else (as redis-cli does)
    await dst.cluster('SETSLOT', slot, 'NODE', toId);
    await src.cluster('SETSLOT', slot, 'NODE', toId);
    for (const port of this.ports) {
      if (port !== fromPort && port !== toPort)
        await this.admin(port).cluster('SETSLOT', slot, 'NODE', toId);
    }
    await this.waitOk();
    return moved;
  }

  /** Kills every node and removes the temp dir. */
  async stop(): Promise<void> {
    for (const r of this.admins.values()) r.disconnect();
    this.admins.clear();
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    this.children.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether redis-server and redis-cli are on the PATH (cluster tests skip without them). */
export async function haveRedisBinaries(): Promise<boolean> {
  try {
    await run('redis-server', ['--version']);
    await run('redis-cli', ['--version']);
    return true;
  } catch {
    return false;
  }
}
