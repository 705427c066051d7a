/**
 * The whole service in one test process, every part real: the simulator over HTTP, a Redis prefix
 * and a PostgreSQL schema of the test's own, the ingest on a free port with API-key auth and the
 * admin API, and a worker runtime. For end-to-end tests that drive it through the webhook.
 */
import { expect } from 'vitest';
import { pino } from 'pino';
import { createIngest, serveApp, type Ingest, type RunningServer } from '@wrapup/ingest';
import { startWorkerRuntime, type WorkerRuntime } from '@wrapup/worker';
import { startSimulator, type SimOptions, type Simulator } from '@wrapup/genesys-sim';
import { loadConfig } from '@wrapup/shared';
import {
  createPgFixture,
  createRedisFixture,
  waitFor,
  type PgFixture,
  type RedisFixture,
} from '@wrapup/shared/testing';

const FINAL_STAGES = ['delivered', 'incomplete', 'rejected', 'failed'];

export interface StackRun {
  runId: string;
  status: string;
  stage: string;
  reportId?: string;
  replays?: number;
}

export interface E2eStack {
  sim: Simulator;
  redis: RedisFixture;
  pg: PgFixture;
  ingest: Ingest;
  server: RunningServer;
  worker: WorkerRuntime;
  webhookUrl: string;
  /** The API key the ingest accepts. */
  apiKey: string;
  /** `Authorization` header value for the admin API. */
  adminAuth: string;
  /** GET /admin/campaigns/:id/runs. */
  runsOf(campaignId: string): Promise<StackRun[]>;
  /** Waits until the campaign has `count` runs, all in a final stage. */
  settled(campaignId: string, count?: number, timeoutMs?: number): Promise<StackRun[]>;
  /** The campaign's warehouse rows, oldest finish first. */
  rowsOf(campaignId: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * The env of an end-to-end stack apart from where Redis is: quiet logs, an API key, the admin
 * login, the simulator, quick analytics checks and the PostgreSQL warehouse.
 */
export function e2eEnv(o: {
  sim: Pick<Simulator, 'wrapupEnv'>;
  pg: Pick<PgFixture, 'databaseUrl' | 'table'>;
  apiKey: string;
  admin: { user: string; password: string };
}): Record<string, string> {
  return {
    LOG_LEVEL: 'silent',
    WEBHOOK_API_KEYS: o.apiKey,
    DASHBOARD_USER: o.admin.user,
    DASHBOARD_PASSWORD: o.admin.password,
    ...o.sim.wrapupEnv,
    GENESYS_MAX_RPS: '100',
    ANALYTICS_RETRY_DELAY_MS: '150',
    ANALYTICS_SETTLE_MS: '300',
    WAREHOUSE_URL: o.pg.databaseUrl,
    WAREHOUSE_TABLE: o.pg.table(),
  };
}

export async function startE2eStack(opts: {
  name: string;
  sim?: SimOptions;
  env?: Record<string, string>;
}): Promise<E2eStack> {
  const apiKey = `${opts.name}-test-key-0123456789`;
  const admin = { user: 'ops', password: `${opts.name}-secret-1` };
  const sim = await startSimulator({ demoCampaigns: false, ...opts.sim });
  const redis = await createRedisFixture(opts.name);
  const pg = await createPgFixture(opts.name);
  const config = loadConfig({
    REDIS_URL: redis.redisUrl,
    QUEUE_PREFIX: redis.prefix,
    ...e2eEnv({ sim, pg, apiKey, admin }),
    ...opts.env,
  });
  const logger = pino({ level: 'silent' });
  const ingest = createIngest(config, { logger });
  expect(await ingest.ready(5_000)).toBe(true);
  const server = await serveApp(ingest.app, { host: '127.0.0.1', port: 0 });
  const worker = await startWorkerRuntime(config, { logger });
  const adminAuth = `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`;

  const runsOf = async (campaignId: string) => {
    const res = await fetch(`${server.url}/admin/campaigns/${campaignId}/runs`, {
      headers: { authorization: adminAuth },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { runs: StackRun[] }).runs;
  };

  return {
    sim,
    redis,
    pg,
    ingest,
    server,
    worker,
    webhookUrl: `${server.url}/webhooks/genesys`,
    apiKey,
    adminAuth,
    runsOf,
    settled: (campaignId, count = 1, timeoutMs = 15_000) =>
      waitFor(
        async () => {
          const runs = await runsOf(campaignId);
          return runs.length >= count && runs.every((r) => FINAL_STAGES.includes(r.stage)) && runs;
        },
        { timeoutMs, what: `${count} runs of ${campaignId} to settle` },
      ),
    rowsOf: async (campaignId) =>
      (
        await pg.pool.query(
          `select * from ${pg.table()} where campaign_id = $1 order by completion_timestamp`,
          [campaignId],
        )
      ).rows as Record<string, unknown>[],
    async close() {
      await worker.close(2_000);
      await server.close(1_000);
      await ingest.close();
      await sim.close();
      await redis.cleanup();
      await pg.cleanup();
    },
  };
}
