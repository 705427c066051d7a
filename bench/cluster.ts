/**
 * Section 7: the pipeline measurement on a 3-master Redis Cluster (REDIS_CLUSTER_NODES, hash-tagged
 * keys) beside the single Redis, in the same run, with the same code path and the same backlog.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { createIngest, type Ingest } from '@wrapup/ingest';
import { buildFinishEvent, startSimulator, type FinishedCampaign } from '@wrapup/genesys-sim';
import { loadConfig } from '@wrapup/shared';
import {
  RedisClusterFixture,
  TEST_REDIS_URL,
  createPgFixture,
  deleteKeys,
  uniquePrefix,
  waitFor,
} from '@wrapup/shared/testing';
import { Redis } from 'ioredis';
import { size } from './lib/env';
import { finishCampaigns } from './lib/lab';
import { SIM_SHAPE } from './lib/pipeline-run';
import { ProcessGroup, WORKER_MAIN, cpuSeconds } from './lib/procs';
import { fmt, type SectionResult } from './lib/report';

interface Drain {
  label: string;
  runs: number;
  enqueuePerSecond: number;
  deliveredMs: number;
  runsPerSecond: number;
  workerCpuSeconds: number | undefined;
}

const PROCS = 2;
const CONCURRENCY = 10;

/** Delivers every finish through the ingest app in process (app.fetch), `lanes` in flight. */
async function deliverAll(ingest: Ingest, key: string, campaigns: FinishedCampaign[], lanes = 50) {
  let next = 0;
  const lane = async () => {
    while (next < campaigns.length) {
      const c = campaigns[next++]!;
      const res = await ingest.app.fetch(
        new Request('http://ingest.local/webhooks/genesys', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: JSON.stringify(buildFinishEvent(c, 'guide', { eventId: randomUUID() })),
        }),
      );
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, campaigns.length) }, lane));
}

/** One drain of `runs` finishes by PROCS production worker processes, on one Redis or the cluster. */
async function drain(
  label: string,
  runs: number,
  redisEnv: Record<string, string>,
  log: (line: string) => void,
): Promise<Drain> {
  const pg = await createPgFixture(`bench_cluster`);
  const sim = await startSimulator({
    demoCampaigns: false,
    tokenRateLimitPerMinute: 100_000,
    rateLimitPerMinute: 100_000_000,
    analyticsLagMs: 0,
  });
  const key = randomBytes(16).toString('hex');
  const prefix = uniquePrefix('bench-cl');
  const env: Record<string, string> = {
    ...redisEnv,
    QUEUE_PREFIX: prefix,
    ...sim.wrapupEnv,
    GENESYS_MAX_RPS: '5000',
    GENESYS_BURST: '50',
    WAREHOUSE_URL: pg.databaseUrl,
    WAREHOUSE_TABLE: pg.table(),
    WORKER_CONCURRENCY: String(CONCURRENCY),
    ANALYTICS_RETRY_DELAY_MS: '200',
    ANALYTICS_SETTLE_MS: '200',
    LOG_LEVEL: 'warn',
  };
  const ingest = createIngest(loadConfig({ ...env, WEBHOOK_API_KEYS: key }), {
    logger: pino({ level: 'warn' }),
  });
  const group = new ProcessGroup();
  try {
    const campaigns = await finishCampaigns(sim, runs, SIM_SHAPE(runs));
    if (!(await ingest.ready(10_000))) throw new Error(`${label}: Redis not ready`);
    await ingest.queues.analytics.pause();
    group.start(WORKER_MAIN, env, PROCS);
    for (const q of [ingest.queues.analytics, ingest.queues.warehouse])
      await waitFor(
        async () => {
          group.checkAlive('a worker process');
          return (await q.getWorkersCount()) >= PROCS;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `${PROCS} ${q.name} workers (${label})` },
      );
    const t0 = performance.now();
    await deliverAll(ingest, key, campaigns);
    const enqueueMs = performance.now() - t0;
    log(`    ${label}: ${runs} events accepted in ${fmt.s(enqueueMs)}; draining`);
    const pids = group.procs.map((p) => p.child.pid);
    const cpu = () => {
      const all = pids.map((pid) => (pid === undefined ? undefined : cpuSeconds(pid)));
      return all.some((x) => x === undefined)
        ? undefined
        : all.reduce<number>((a, b) => a + (b ?? 0), 0);
    };
    const cpuStart = cpu();
    const start = Date.now();
    await ingest.queues.analytics.resume();
    const last = await waitFor(
      async () => {
        group.checkAlive('a worker process');
        const { rows } = await pg.pool.query<{ n: string; last: Date | null }>(
          `select count(*) as n, max(written_at) as last from ${pg.table()}`,
        );
        const latest = rows[0]?.last;
        return Number(rows[0]?.n) >= runs && latest ? latest : undefined;
      },
      { timeoutMs: 30 * 60_000, intervalMs: 100, what: `${runs} rows (${label})` },
    );
    const cpuEnd = cpu();
    const deliveredMs = Math.max(1, last.getTime() - start);
    return {
      label,
      runs,
      enqueuePerSecond: (runs * 1000) / enqueueMs,
      deliveredMs,
      runsPerSecond: (runs * 1000) / deliveredMs,
      workerCpuSeconds:
        cpuStart !== undefined && cpuEnd !== undefined ? cpuEnd - cpuStart : undefined,
    };
  } finally {
    await group.stop();
    await ingest.close();
    await sim.close().catch(() => undefined);
    await pg.cleanup();
    if (!redisEnv.REDIS_CLUSTER_NODES) {
      const redis = new Redis(TEST_REDIS_URL);
      await deleteKeys(redis, `${prefix}*`);
      await redis.quit();
    }
  }
}

export async function clusterSection(log: (line: string) => void): Promise<SectionResult> {
  const runs = size(2_000, 300);
  log(`  single Redis (${TEST_REDIS_URL}): ${runs} runs, ${PROCS} worker processes`);
  const single = await drain('single Redis', runs, { REDIS_URL: TEST_REDIS_URL }, log);
  log(`    delivered in ${fmt.s(single.deliveredMs)} = ${fmt.n(single.runsPerSecond)} runs/s`);
  log('  starting a 3-master Redis Cluster (redis-server on free ports)');
  const cluster = await RedisClusterFixture.start(3);
  let clustered: Drain;
  try {
    clustered = await drain(
      'Redis Cluster, 3 masters',
      runs,
      { REDIS_CLUSTER_NODES: cluster.seeds },
      log,
    );
  } finally {
    await cluster.stop();
  }
  log(
    `    delivered in ${fmt.s(clustered.deliveredMs)} = ${fmt.n(clustered.runsPerSecond)} runs/s`,
  );
  const ratio = clustered.runsPerSecond / single.runsPerSecond;
  const row = (d: Drain) => [
    d.label,
    d.runs,
    `${PROCS} x ${CONCURRENCY}`,
    `${fmt.n(d.enqueuePerSecond)} events/s`,
    fmt.s(d.deliveredMs),
    fmt.n(d.runsPerSecond),
    d.workerCpuSeconds === undefined
      ? 'n/a'
      : `${fmt.n(d.workerCpuSeconds, 1)} s (${fmt.n((d.workerCpuSeconds * 1000) / d.runs, 2)} ms/run)`,
  ];
  return {
    id: 'cluster',
    title: '7. Redis Cluster beside one Redis',
    summary: `pipeline on a 3-master Redis Cluster ${fmt.n(clustered.runsPerSecond)} runs/s vs one Redis ${fmt.n(single.runsPerSecond)} runs/s (ratio ${fmt.ratio(ratio)})`,
    tables: [
      {
        headers: [
          'Redis',
          'runs',
          'processes x concurrency',
          'ingest intake (queue paused)',
          'time to last row',
          'runs/s',
          'worker CPU',
        ],
        rows: [row(single), row(clustered)],
      },
    ],
    targets: [],
    method: [
      `The same backlog measurement as section 2, twice in this run: ${runs} campaigns finished in the simulator (1 contact each, finishes 1 s apart), their guide events taken by the real ingest app in process (50 in flight) while the analytics queue is paused, then ${PROCS} production worker processes (\`apps/worker/src/main.ts\`, env only, WORKER_CONCURRENCY=${CONCURRENCY}, PostgreSQL warehouse) drain it; the time runs from the resume to the latest \`written_at\`.`,
      'First on the single Redis at TEST_REDIS_URL (REDIS_URL), then on a Redis Cluster of three masters started for the section from the same redis-server binary on this machine (no persistence, no replicas; `redis-cli --cluster create`), with REDIS_CLUSTER_NODES set: every process uses ioredis Cluster clients and the hash-tagged key layout ("Scaling past one machine" in the README).',
      'No NOTIFY_URLS here (two jobs per run, analytics and warehouse), unlike section 2.',
    ],
    notes: [
      'All three masters run on the same machine as the workers, the simulator and PostgreSQL: the cluster adds hops (slot routing, one connection per master per client) without adding CPU, so this shows its overhead, not the headroom it gives on separate machines.',
      ...(runs < 2_000 ? ['BENCH_QUICK: 300 runs instead of 2,000.'] : []),
    ],
  };
}
