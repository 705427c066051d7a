import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createIngest, serveApp, type Ingest, type RunningServer } from '@wrapup/ingest';
import { startWorkerRuntime, type WorkerRuntime } from '@wrapup/worker';
import { deliverFinish, startSimulator, type Simulator } from '@wrapup/genesys-sim';
import { loadConfig } from '@wrapup/shared';
import { createPgFixture, createRedisFixture, waitFor, type PgFixture, type RedisFixture } from '@wrapup/shared/testing';

const KEY = 'pipeline-test-key-0123456789';
const ADMIN = { user: 'ops', password: 'pipeline-secret' };
const auth = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;

let sim: Simulator;
let redis: RedisFixture;
let pg: PgFixture;
let ingest: Ingest;
let server: RunningServer;
let worker: WorkerRuntime;

beforeAll(async () => {
  sim = await startSimulator({ demoCampaigns: false, analyticsLagMs: 300 });
  redis = await createRedisFixture('e2e');
  pg = await createPgFixture('e2e');
  const config = loadConfig({
    REDIS_URL: redis.redisUrl,
    QUEUE_PREFIX: redis.prefix,
    LOG_LEVEL: 'silent',
    WEBHOOK_API_KEYS: KEY,
    DASHBOARD_USER: ADMIN.user,
    DASHBOARD_PASSWORD: ADMIN.password,
    ...sim.wrapupEnv,
    GENESYS_MAX_RPS: '100',
    ANALYTICS_RETRY_DELAY_MS: '150',
    ANALYTICS_SETTLE_MS: '300',
    WAREHOUSE_URL: pg.databaseUrl,
    WAREHOUSE_TABLE: pg.table(),
  });
  const logger = pino({ level: 'silent' });
  ingest = createIngest(config, { logger });
  expect(await ingest.ready(5_000)).toBe(true);
  server = await serveApp(ingest.app, { host: '127.0.0.1', port: 0 });
  worker = await startWorkerRuntime(config, { logger });
});

afterAll(async () => {
  await worker?.close(2_000);
  await server?.close(1_000);
  await ingest?.close();
  await sim?.close();
  await redis?.cleanup();
  await pg?.cleanup();
});

const runsOf = async (campaignId: string) => {
  const res = await fetch(`${server.url}/admin/campaigns/${campaignId}/runs`, { headers: { authorization: auth } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { runs: { runId: string; stage: string; reportId?: string; replays?: number }[] }).runs;
};
const settled = (campaignId: string, count = 1) =>
  waitFor(
    async () => {
      const runs = await runsOf(campaignId);
      return runs.length >= count && runs.every((r) => ['delivered', 'incomplete', 'rejected', 'failed'].includes(r.stage)) && runs;
    },
    { timeoutMs: 15_000, what: `runs of ${campaignId} to settle` },
  );
const rowsOf = async (campaignId: string) =>
  (await pg.pool.query(`select * from ${pg.table()} where campaign_id = $1 order by completion_timestamp`, [campaignId])).rows as Record<string, unknown>[];

describe('ingest -> analytics -> warehouse, end to end', () => {
  it('turns one finish delivered twice in two shapes (EventBridge, guide) into one delivered report', async () => {
    const c = await sim.createCampaign({ contactCount: 30 });
    const { expected } = await sim.runToCompletion(c.id, { durationSeconds: 600, avgHandleMs: 1500 });
    const finished = { id: c.id, status: 'complete' as const, occurredAt: expected.lastDial!, durationSeconds: 600 };
    const webhookUrl = `${server.url}/webhooks/genesys`;

    const eb = await deliverFinish({ webhookUrl, campaign: finished, shape: 'eventbridge', auth: { apiKey: KEY }, duplicates: 2 });
    const guide = await deliverFinish({ webhookUrl, campaign: finished, shape: 'guide', auth: { apiKey: KEY } });
    expect(eb.finals.map((a) => a.status)).toEqual([202, 200, 200]);
    expect(eb.finals.slice(1).map((a) => (a.body as { status: string }).status)).toEqual(['duplicate', 'duplicate']);
    expect(guide.finals[0]?.status).toBe(200); // same finish, other shape: joins the run
    const jobIds = new Set([...eb.finals, ...guide.finals].map((a) => (a.body as { jobId: string }).jobId));
    expect(jobIds.size).toBe(1);

    const [run] = await settled(c.id);
    expect(run?.stage).toBe('delivered');
    const rows = await rowsOf(c.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      report_id: run?.reportId,
      total_calls_attempted: expected.attempted,
      successful_contacts: expected.connected,
      complete: true,
    });
  });

  it('replays the latest report into the same row', async () => {
    const c = await sim.createCampaign({ contactCount: 12 });
    const { expected } = await sim.runToCompletion(c.id, { durationSeconds: 300, avgHandleMs: 1500 });
    await deliverFinish({
      webhookUrl: `${server.url}/webhooks/genesys`,
      campaign: { id: c.id, status: 'complete', occurredAt: expected.lastDial!, durationSeconds: 300 },
      shape: 'guide',
      auth: { apiKey: KEY },
    });
    const [first] = await settled(c.id);
    const writtenBefore = (await rowsOf(c.id))[0]?.written_at as Date;

    for (let i = 1; i <= 2; i++) {
      const res = await fetch(`${server.url}/admin/campaigns/${c.id}/replay`, { method: 'POST', headers: { authorization: auth } });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ runId: first?.runId, jobId: `${first?.runId}-replay-${i}` });
      await waitFor(async () => {
        const [row] = await rowsOf(c.id);
        return row && (row.written_at as Date).getTime() > writtenBefore.getTime() && (await runsOf(c.id))[0]?.stage === 'delivered';
      }, { timeoutMs: 15_000, what: `replay ${i} to rewrite the row` });
    }
    const rows = await rowsOf(c.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.report_id).toBe(first?.reportId);
    const runs = await runsOf(c.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.replays).toBe(2);

    const missing = await fetch(`${server.url}/admin/campaigns/never-ran/replay`, { method: 'POST', headers: { authorization: auth } });
    expect(missing.status).toBe(404);
  });

  it('starts a second run when a recycled campaign finishes again later', async () => {
    const c = await sim.createCampaign({ contactCount: 10 });
    const first = await sim.runToCompletion(c.id, { durationSeconds: 120, endAt: Date.now() - 3_600_000, avgHandleMs: 1500 });
    const webhookUrl = `${server.url}/webhooks/genesys`;
    await deliverFinish({
      webhookUrl,
      campaign: { id: c.id, status: 'complete', occurredAt: first.expected.lastDial!, durationSeconds: 120 },
      shape: 'guide',
      auth: { apiKey: KEY },
    });
    await settled(c.id, 1);

    await sim.startCampaign(c.id); // recycle the contact list
    const second = await sim.runToCompletion(c.id, { durationSeconds: 120, avgHandleMs: 1500 });
    const answer = await deliverFinish({
      webhookUrl,
      campaign: { id: c.id, status: 'complete', occurredAt: second.expected.lastDial!, durationSeconds: 120 },
      shape: 'guide',
      auth: { apiKey: KEY },
    });
    expect(answer.finals[0]?.status).toBe(202);
    const runs = await settled(c.id, 2);
    expect(runs.map((r) => r.stage)).toEqual(['delivered', 'delivered']);
    const rows = await rowsOf(c.id);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.report_id)).size).toBe(2);
  });
});
