/**
 * wrapup on a real Redis Cluster (REDIS_CLUSTER_NODES): three masters started from the
 * redis-server binary on free ports (RedisClusterFixture), the ingest over HTTP, the worker
 * runtime, the simulator and PostgreSQL. Every key is hash-tagged (KeyLayout): a script touching
 * keys of two slots would fail here with CROSSSLOT or "non local key".
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngest, serveApp, type Ingest, type RunningServer } from '@wrapup/ingest';
import { deliverFinish, startSimulator, type Simulator } from '@wrapup/genesys-sim';
import { keyLayout, redisTopology, runKeys } from '@wrapup/runs';
import { ANALYTICS_QUEUE, QUEUE_NAMES, loadConfig, type Config } from '@wrapup/shared';
import {
  createPgFixture,
  haveRedisBinaries,
  RedisClusterFixture,
  uniquePrefix,
  waitFor,
  type PgFixture,
} from '@wrapup/shared/testing';
import { measureWindows, startWorkerRuntime, type WorkerRuntime } from '@wrapup/worker';
import { probeRedis } from '../scripts/start/redis-probe';
import { e2eEnv } from './support/e2e-stack';

const canRun = await haveRedisBinaries();
const FINAL = ['delivered', 'incomplete', 'rejected', 'failed'];
const apiKey = `cluster-test-key-${randomUUID()}`;
const admin = { user: 'ops', password: 'cluster-secret-1' };
const adminAuth = `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`;

let cluster: RedisClusterFixture;
let pg: PgFixture;
let sim: Simulator;
let config: Config;
let ingest: Ingest;
let server: RunningServer;
let worker: WorkerRuntime;

describe.skipIf(!canRun)('wrapup on a Redis Cluster (3 masters)', () => {
  beforeAll(async () => {
    cluster = await RedisClusterFixture.start(3);
    pg = await createPgFixture('cluster');
    sim = await startSimulator({ demoCampaigns: false, analyticsLagMs: 200 });
    config = loadConfig({
      REDIS_CLUSTER_NODES: cluster.seeds,
      // not used in cluster mode: nothing listens there
      REDIS_URL: 'redis://127.0.0.1:1',
      QUEUE_PREFIX: uniquePrefix('cluster'),
      ...e2eEnv({ sim, pg, apiKey, admin }),
    });
    const logger = pino({ level: 'silent' });
    ingest = createIngest(config, { logger });
    expect(await ingest.ready(10_000)).toBe(true);
    server = await serveApp(ingest.app, { host: '127.0.0.1', port: 0 });
    // a job whose completion a slot migration refused is taken over as stalled: soon, in a test
    worker = await startWorkerRuntime(config, {
      logger,
      lockDurationMs: 3_000,
      stalledIntervalMs: 3_000,
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.close(2_000).catch(() => undefined);
    await server?.close(1_000).catch(() => undefined);
    await ingest?.close().catch(() => undefined);
    await sim?.close();
    await pg?.cleanup();
    await cluster?.stop();
  });

  const webhookUrl = () => `${server.url}/webhooks/genesys`;
  const post = (body: object, id: string) =>
    fetch(webhookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'webhook-id': id },
      body: JSON.stringify(body),
    });
  const guide = (campaignId: string, timestamp: string) => ({
    topicName: `v2.outbound.campaigns.${campaignId}`,
    eventBody: { id: campaignId, campaignStatus: 'complete', timestamp },
  });
  const runsOf = async (campaignId: string) => {
    const res = await fetch(`${server.url}/admin/campaigns/${campaignId}/runs`, {
      headers: { authorization: adminAuth },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { runs: { runId: string; stage: string }[] }).runs;
  };
  const rowsOf = async (campaignId: string) =>
    (await pg.pool.query(`select * from ${pg.table()} where campaign_id = $1`, [campaignId]))
      .rows as Record<string, unknown>[];

  it('puts each queue on its own slot and the run trail, the lease and the analytics queue on one', async () => {
    const keys = keyLayout(config.queuePrefix, true);
    const slot = (key: string) => cluster.keySlot(key);
    const analytics = await slot(`${keys.queue(ANALYTICS_QUEUE)}:${ANALYTICS_QUEUE}:wait`);
    const trail = runKeys(keys.runs);
    for (const key of [
      trail.run('r'),
      trail.event('c', 'e'),
      trail.active('c'),
      trail.campaign('c'),
      trail.state('c'),
      trail.recent,
      trail.reportCopy('r'),
      `${keys.keptReports}:runs:report:r`,
      `${keys.events}:events:lease`,
      `${keys.events}:events:lease:token`,
    ])
      expect(await slot(key), key).toBe(analytics);
    const queueSlots = await Promise.all(
      QUEUE_NAMES.map((q) => slot(`${keys.queue(q)}:${q}:wait`)),
    );
    expect(new Set(queueSlots).size).toBe(QUEUE_NAMES.length);
    const limiter = await slot(`${keys.limiter}:genesys:limiter:tat`);
    expect(await slot(`${keys.limiter}:genesys:pause-until`)).toBe(limiter);
    // the queues and the limiter are spread over more than one master
    const owners = new Set(
      await Promise.all([...queueSlots, limiter].map((s) => cluster.ownerOf(s))),
    );
    expect(owners.size).toBeGreaterThan(1);
  });

  it('deduplicates 50 concurrent deliveries and joins a second event of the same finish', async () => {
    const campaignId = randomUUID();
    const at = new Date(Date.now() - 60_000).toISOString();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => post(guide(campaignId, at), `msg_burst_${campaignId}`)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    const accepted = responses.find((r) => r.status === 202)!;
    const { jobId: runId } = (await accepted.json()) as { jobId: string };
    // another sender's copy of the same finish (another event id), 2 s later: joins the run
    const joined = await post(
      guide(campaignId, new Date(Date.parse(at) + 2_000).toISOString()),
      `msg_other_${campaignId}`,
    );
    expect(joined.status).toBe(200);
    expect(await joined.json()).toMatchObject({ status: 'duplicate', jobId: runId });
    const run = await ingest.runs.get(runId);
    expect(run?.eventIds).toHaveLength(2);
    // the job BullMQ holds is under the analytics queue's hash tag
    const job = await ingest.queues.analytics.getJob(runId);
    expect(job?.id).toBe(runId);
    expect(ingest.queues.analytics.opts.prefix).toBe(`${config.queuePrefix}:{analytics}`);
  });

  it("checks the Notification API listener's lease in the intake script (fence on the same slot)", async () => {
    const keys = keyLayout(config.queuePrefix, true);
    const fenceKey = `${keys.events}:events:lease`;
    const client = cluster.client();
    try {
      await client.set(fenceKey, '7', 'PX', 10_000);
      const campaignId = randomUUID();
      const base = {
        campaignId,
        status: 'completed' as const,
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
        now: new Date().toISOString(),
      };
      const stale = await ingest.runs.intake({
        ...base,
        eventId: 'e-stale',
        fence: { key: fenceKey, token: '6' },
      });
      expect(stale.outcome).toBe('fenced');
      const held = await ingest.runs.intake({
        ...base,
        eventId: 'e-held',
        fence: { key: fenceKey, token: '7' },
      });
      expect(held.outcome).toBe('new');
      expect(
        await ingest.runs.recordStatus(campaignId, 'on', base.now, {
          fence: { key: fenceKey, token: '7' },
        }),
      ).toBe('recorded');
    } finally {
      await client.del(fenceKey);
      client.disconnect();
    }
  });

  it('runs the whole pipeline to the PostgreSQL row', async () => {
    const c = await sim.createCampaign({ contactCount: 20 });
    const { expected } = await sim.runToCompletion(c.id, {
      durationSeconds: 600,
      avgHandleMs: 1500,
    });
    const res = await deliverFinish({
      webhookUrl: webhookUrl(),
      campaign: {
        id: c.id,
        status: 'complete',
        occurredAt: expected.lastDial!,
        durationSeconds: 600,
      },
      shape: 'guide',
      auth: { apiKey },
    });
    expect(res.finals[0]?.status).toBe(202);
    const runs = await waitFor(
      async () => {
        const r = await runsOf(c.id);
        return r.length === 1 && FINAL.includes(r[0]!.stage) && r;
      },
      { timeoutMs: 30_000, what: 'the run to settle' },
    );
    expect(runs[0]?.stage).toBe('delivered');
    const rows = await rowsOf(c.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      campaign_id: c.id,
      total_calls_attempted: expected.attempted,
      successful_contacts: expected.connected,
    });
  }, 60_000);

  it('keeps the shared rate limit across two worker processes', async () => {
    const child = fileURLToPath(new URL('./support/cluster-limiter-child.ts', import.meta.url));
    const startAt = Date.now() + 3_000;
    const runChild = () =>
      new Promise<{ grants: number[]; keys: Record<string, string> }>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', child], {
          env: {
            ...process.env,
            REDIS_CLUSTER_NODES: cluster.seeds,
            QUEUE_PREFIX: config.queuePrefix,
            LOG_LEVEL: 'silent',
            MAX_RPS: '10',
            BURST: '2',
            LOOPS: '5',
            START_AT: String(startAt),
            DURATION_MS: '3000',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('exit', (code) =>
          code === 0
            ? resolve(JSON.parse(out.trim().split('\n').pop()!) as never)
            : reject(new Error(`limiter child exited ${code}: ${err}`)),
        );
      });
    const [a, b] = await Promise.all([runChild(), runChild()]);
    expect(a.grants.length).toBeGreaterThan(5);
    expect(b.grants.length).toBeGreaterThan(5);
    expect(a.keys.tat).toBe(`${config.queuePrefix}:{limiter}:genesys:limiter:tat`);
    const m = measureWindows([...a.grants, ...b.grants]);
    expect(m.maxInAnyWindow).toBeLessThanOrEqual(12);
    expect(m.ratePerSecond).toBeGreaterThanOrEqual(9);
    // at most 1 + burst at once, then the smooth rate (over the span the grants really took: a
    // child that started late on a busy machine stretches it)
    expect(m.count).toBeLessThanOrEqual(1 + 2 + Math.ceil((10 * m.spanMs) / 1000) + 1);
  }, 30_000);

  it('loses nothing while the analytics slot moves to another master as events arrive', async () => {
    const keys = keyLayout(config.queuePrefix, true);
    const slot = await cluster.keySlot(`${keys.queue(ANALYTICS_QUEUE)}:x`);
    const from = await cluster.ownerOf(slot);
    const to = cluster.ports.find((p) => p !== from)!;
    const campaigns = await Promise.all(
      Array.from({ length: 12 }, () => sim.createCampaign({ contactCount: 5 })),
    );
    const finishes = [];
    for (const c of campaigns) {
      const { expected } = await sim.runToCompletion(c.id, {
        durationSeconds: 300,
        avgHandleMs: 800,
      });
      finishes.push({ id: c.id, occurredAt: expected.lastDial! });
    }
    const retriedOf = (res: { answers: unknown[] }) => res.answers.length - 1;
    const deliver = async (f: { id: string; occurredAt: string }) => {
      const res = await deliverFinish({
        webhookUrl: webhookUrl(),
        campaign: { id: f.id, status: 'complete', occurredAt: f.occurredAt, durationSeconds: 300 },
        shape: 'guide',
        auth: { apiKey },
        // a sender retries a 5xx, as Genesys does
        retries: 8,
        retryDelayMs: 100,
      });
      return { status: res.finals[0]!.status, retried: retriedOf(res) };
    };
    // before: runs (and their jobs, in flight) whose keys the move will carry over
    const before = await Promise.all(finishes.slice(0, 4).map(deliver));
    // during: the slot is MIGRATING/IMPORTING for 1.5 s (keys moved 5 at a time, as
    // `redis-cli --cluster reshard` does). Redis refuses a multi-key command on a slot being
    // migrated when one of its keys is missing (TRYAGAIN, or ASK on the target), before the
    // script runs: the intake writes nothing and answers 503, and the sender's retry after the
    // move is accepted. Nothing half-written, nothing lost.
    const moved = cluster.moveSlot(slot, to, { batch: 5, pauseMs: 50, until: sleep(1_500) });
    const during = await Promise.all(
      finishes.slice(4, 10).map(async (f, i) => {
        await sleep(i * 150);
        return deliver(f);
      }),
    );
    const movedKeys = await moved;
    expect(await cluster.ownerOf(slot)).toBe(to);
    // after: the slot is on its new master (clients meet MOVED once, then refresh their map)
    const after = await Promise.all(finishes.slice(10).map(deliver));
    const answers = [...before, ...during, ...after];
    expect(movedKeys).toBeGreaterThan(0);
    expect(answers.map((a) => a.status)).toEqual(finishes.map(() => 202));
    // the move really was met: deliveries during it were refused (503) and retried
    const retried = during.reduce((n, a) => n + a.retried, 0);
    expect(retried).toBeGreaterThan(0);
    console.info(
      `reshard of slot ${slot} (${from} -> ${to}): ${movedKeys} keys moved; ${retried} deliveries answered 503 during it and retried`,
    );
    // every finish is one delivered run and one row
    for (const f of finishes) {
      const runs = await waitFor(
        async () => {
          const r = await runsOf(f.id);
          return r.length === 1 && FINAL.includes(r[0]!.stage) && r;
        },
        { timeoutMs: 30_000, what: `the run of ${f.id} to settle` },
      );
      expect(runs[0]?.stage, f.id).toBe('delivered');
      expect(await rowsOf(f.id), f.id).toHaveLength(1);
    }
    // and a redelivery after the move is still a duplicate (the dedupe keys moved with the slot)
    const again = await deliverFinish({
      webhookUrl: webhookUrl(),
      campaign: {
        id: finishes[0]!.id,
        status: 'complete',
        occurredAt: finishes[0]!.occurredAt,
        durationSeconds: 300,
      },
      shape: 'guide',
      auth: { apiKey },
    });
    expect(again.finals[0]?.status).toBe(200);
  }, 120_000);

  it('answers 503 (and /readyz 503) while the cluster is unreachable', async () => {
    // an ingest of its own on seeds where no cluster answers any more
    const down = await RedisClusterFixture.start(3);
    const downConfig = loadConfig({
      REDIS_CLUSTER_NODES: down.seeds,
      QUEUE_PREFIX: config.queuePrefix,
      LOG_LEVEL: 'silent',
      WEBHOOK_API_KEYS: apiKey,
    });
    const other = createIngest(downConfig, { logger: pino({ level: 'silent' }) });
    const otherServer = await serveApp(other.app, { host: '127.0.0.1', port: 0 });
    try {
      expect(await other.ready(10_000)).toBe(true);
      expect((await fetch(`${otherServer.url}/readyz`)).status).toBe(200);
      await down.stop();
      const t0 = Date.now();
      const res = await fetch(`${otherServer.url}/webhooks/genesys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify(guide(randomUUID(), new Date().toISOString())),
      });
      expect(res.status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect((await fetch(`${otherServer.url}/readyz`)).status).toBe(503);
    } finally {
      await otherServer.close(500);
      await other.close();
      await down.stop();
    }
  }, 60_000);

  it("passes the worker's health check and pnpm start's probe against the cluster", async () => {
    const script = fileURLToPath(new URL('../apps/worker/src/health-check.ts', import.meta.url));
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, REDIS_CLUSTER_NODES: cluster.seeds, LOG_LEVEL: 'silent' },
        stdio: 'ignore',
      });
      p.on('exit', resolve);
    });
    expect(code).toBe(0);
    // and `pnpm start`'s probe
    expect(await probeRedis(config)).toEqual({ ok: true });
  }, 20_000);

  it('names the topology from the config', () => {
    const t = redisTopology(config);
    expect(t.kind).toBe('cluster');
    expect(t.keys.queue('warehouse')).toBe(`${config.queuePrefix}:{warehouse}`);
    const single = redisTopology({ ...config, redisClusterNodes: [] });
    expect(single.kind).toBe('single');
    expect(single.keys.queue('analytics')).toBe(config.queuePrefix);
    expect(single.keys.runs).toBe(config.queuePrefix);
  });

  it('leaves no key a script touches outside its hash tag', async () => {
    const client = cluster.client();
    try {
      const stray: string[] = [];
      for (const node of client.nodes('master')) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(
            cursor,
            'MATCH',
            `${config.queuePrefix}*`,
            'COUNT',
            1000,
          );
          cursor = next;
          stray.push(
            ...found.filter(
              (k) =>
                // single-key caches may live anywhere
                !k.startsWith(`${config.queuePrefix}:compliance:`) &&
                !/^[^{]*\{(analytics|warehouse|notify|reconcile|limiter|batch)\}/.test(k),
            ),
          );
        } while (cursor !== '0');
      }
      expect(stray).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
