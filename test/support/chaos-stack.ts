/**
 * The whole service wired for a chaos run, every part owned by the test so it can be broken: a
 * redis-server with append-only persistence, PostgreSQL behind a cuttable proxy, the simulator,
 * a notification receiver, the ingest (in process) and worker processes configured by env only.
 */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '@wrapup/shared';
import {
  OwnRedis,
  createPgFixture,
  freePort,
  spawnTs,
  startJsonReceiver,
  startTcpProxy,
  uniquePrefix,
  waitFor,
  type AppProcess,
  type JsonReceiver,
  type PgFixture,
  type Responder,
  type TcpProxy,
} from '@wrapup/shared/testing';
import { startSimulator, type Simulator } from '@wrapup/genesys-sim';
import { createIngest, serveApp, type Ingest, type RunningServer } from '@wrapup/ingest';

export const CHAOS_API_KEY = 'chaos-test-api-key-0123456789';
/** What the notification receiver answers while up, and while failing (`receiver.respondWith(RECEIVER_DOWN)`). */
export const RECEIVER_UP: Responder = () => ({ status: 200, body: { ok: true } });
export const RECEIVER_DOWN: Responder = () => ({ status: 500, body: { error: 'receiver down' } });
const REPO_ROOT = new URL('../..', import.meta.url).pathname;

export interface ChaosKnobs {
  workers: number;
  workerConcurrency: number;
  /** WORKER_LOCK_DURATION_MS (also the stalled-job check interval). */
  lockDurationMs: number;
  analyticsLagMs: number;
}

export interface ChaosStack {
  prefix: string;
  redis: OwnRedis;
  pg: PgFixture;
  proxy: TcpProxy;
  sim: Simulator;
  receiver: JsonReceiver;
  ingest: Ingest;
  server: RunningServer;
  webhookUrl: string;
  workers: AppProcess[];
  /** Output of every worker process that has exited (killed ones included). */
  pastOutput: string[];
  /** SIGKILLs worker `i`, waits for its exit and starts a replacement (not waiting for it to be ready). */
  killAndRestartWorker(i: number, pauseMs?: number): Promise<void>;
  waitWorkersReady(timeoutMs?: number): Promise<void>;
  /** A fresh connection to the test-owned Redis (caller quits it). */
  connect(): Redis;
  close(): Promise<void>;
}

const isReady = (w: AppProcess) => w.output().includes('"worker ready"');

export async function startChaosStack(knobs: ChaosKnobs): Promise<ChaosStack> {
  const prefix = uniquePrefix('chaos');
  const redis = new OwnRedis(await freePort(), { appendOnly: true });
  await redis.start();
  const pg = await createPgFixture('chaos');
  const proxy = await startTcpProxy({
    host: '127.0.0.1',
    port: Number(new URL(pg.databaseUrl).port || 5432),
  });
  const sim = await startSimulator({
    demoCampaigns: false,
    analyticsLagMs: knobs.analyticsLagMs,
    rateLimitPerMinute: 1_000_000,
  });
  const receiver = await startJsonReceiver(RECEIVER_UP);

  const ingest = createIngest(
    loadConfig({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      WEBHOOK_API_KEYS: CHAOS_API_KEY,
      LOG_LEVEL: 'silent',
    }),
    { logger: pino({ level: 'silent' }) },
  );
  if (!(await ingest.ready(5_000))) throw new Error('ingest could not reach the test redis');
  const server = await serveApp(ingest.app, { host: '127.0.0.1', port: 0 });

  const warehouseUrl = new URL(pg.databaseUrl);
  warehouseUrl.port = String(proxy.port);
  const workerEnv: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    ...sim.wrapupEnv,
    GENESYS_MAX_RPS: '500',
    GENESYS_BURST: '50',
    ANALYTICS_RETRY_DELAY_MS: '200',
    ANALYTICS_SETTLE_MS: '300',
    // the drain check counts every job still pending; the final re-checks (50 h out) are not
    // what this test is about (apps/worker/test/final-report.int.test.ts covers them)
    FINAL_REPORT_AFTER: '0',
    WAREHOUSE_URL: warehouseUrl.toString(),
    WAREHOUSE_TABLE: pg.table(),
    NOTIFY_URLS: receiver.url,
    WORKER_CONCURRENCY: String(knobs.workerConcurrency),
    WORKER_LOCK_DURATION_MS: String(knobs.lockDurationMs),
    SHUTDOWN_TIMEOUT_MS: '1000',
  };
  const spawnWorker = () => spawnTs('apps/worker/src/main.ts', workerEnv, REPO_ROOT);
  const workers = Array.from({ length: knobs.workers }, spawnWorker);
  const pastOutput: string[] = [];

  const stack: ChaosStack = {
    prefix,
    redis,
    pg,
    proxy,
    sim,
    receiver,
    ingest,
    server,
    webhookUrl: `${server.url}/webhooks/genesys`,
    workers,
    pastOutput,
    async killAndRestartWorker(i, pauseMs = 500) {
      const victim = workers[i];
      if (!victim) throw new Error(`no worker ${i}`);
      await victim.kill('SIGKILL');
      pastOutput.push(victim.output());
      await new Promise((r) => setTimeout(r, pauseMs));
      workers[i] = spawnWorker();
    },
    async waitWorkersReady(timeoutMs = 30_000) {
      await waitFor(
        () => {
          const dead = workers.find((w) => w.child.exitCode !== null);
          if (dead)
            throw new Error(
              `a worker exited (${dead.child.exitCode}): ${dead.output().slice(-2_000)}`,
            );
          return workers.every(isReady);
        },
        { timeoutMs, intervalMs: 100, what: 'the workers to be ready' },
      );
    },
    connect: () => new Redis(redis.url, { maxRetriesPerRequest: null }),
    async close() {
      await Promise.allSettled(workers.map((w) => w.kill('SIGTERM')));
      await server.close(1_000).catch(() => undefined);
      await ingest.close().catch(() => undefined);
      await Promise.allSettled([sim.close(), receiver.close(), proxy.close()]);
      await pg.cleanup().catch(() => undefined);
      await redis.kill('SIGKILL');
      rmSync(redis.dir, { recursive: true, force: true });
    },
  };
  try {
    await stack.waitWorkersReady();
  } catch (err) {
    await stack.close();
    throw err;
  }
  return stack;
}
