import { randomUUID } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { analyticsJobOptions } from '@wrapup/shared';
import { createRedisFixture, waitFor } from '@wrapup/shared/testing';
import { benchPath } from './env';
import {
  QueueHandles,
  finishCampaigns,
  redisServerPid,
  redisUsedMemory,
  withPipelineLab,
  workerEnv,
} from './lab';
import { ProcessGroup, WORKER_MAIN, cpuSeconds, tail, waitForWorkers } from './procs';

/** What every drain reports: its size, its speed and the CPU its worker processes used. */
export interface DrainFigures {
  runs: number;
  procs: number;
  concurrency: number;
  runsPerSecond: number;
  /** CPU seconds all worker processes used during the drain. */
  workerCpuSeconds: number | undefined;
}

export interface PipelineRun extends DrainFigures {
  /** From resuming the paused backlog to the last confirmed warehouse row. */
  deliveredMs: number;
  /** From resume until every notification reached the receiver. */
  notifiedMs: number;
  /** How fast the in-process ingest took the events (queue paused). */
  enqueuePerSecond: number;
  redisBefore: number;
  redisAfter: number;
  /** CPU seconds of the bench process (simulator, notification receiver, polling) during the drain. */
  benchCpuSeconds: number;
  /** CPU seconds of redis-server during the drain (undefined when it cannot be read). */
  redisCpuSeconds: number | undefined;
  genesysCalls: number;
}

const QUEUES = ['analytics', 'warehouse', 'notify'] as const;

/**
 * The simulator answers an aggregates query by scanning every conversation it holds (O(all
 * conversations) per call), which would make the test double, not wrapup, the bottleneck at
 * 10,000 campaigns. So each campaign has one contact and the simulated finish times are one second
 * apart (an 11-minute query interval then overlaps ~660 other campaigns instead of all of them).
 */
export const SIM_SHAPE = (runs: number) => ({
  contacts: 1,
  durationSeconds: 60,
  spreadMs: Math.max(60_000, runs * 1000),
});

/** `end - start`, or undefined when either could not be read. */
const delta = (start: number | undefined, end: number | undefined) =>
  start !== undefined && end !== undefined ? end - start : undefined;

/** The figures of `opts.runs` runs drained by `opts.procs` x `concurrency` workers in `ms`. */
const drainFigures = (
  opts: { runs: number; procs: number },
  concurrency: number,
  ms: number,
  cpu: { start: number | undefined; end: number | undefined },
): DrainFigures => ({
  runs: opts.runs,
  procs: opts.procs,
  concurrency,
  runsPerSecond: (opts.runs * 1000) / ms,
  workerCpuSeconds: delta(cpu.start, cpu.end),
});

const cpuOf = (group: ProcessGroup) => {
  const all = group.procs.map((p) =>
    p.child.pid === undefined ? undefined : cpuSeconds(p.child.pid),
  );
  return all.some((x) => x === undefined)
    ? undefined
    : all.reduce<number>((a, b) => a + (b ?? 0), 0);
};

/**
 * The real pipeline on a backlog: N campaigns finished over the last minute in the simulator (no
 * analytics lag, no effective rate limit), their events taken by the real ingest while the
 * analytics queue is paused, then `procs` worker processes drain it into PostgreSQL.
 */
export async function runRealPipeline(opts: {
  label: string;
  runs: number;
  procs: number;
  concurrency?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}): Promise<PipelineRun> {
  const concurrency = opts.concurrency ?? 10;
  return withPipelineLab(
    opts.label,
    { rateLimitPerMinute: 100_000_000, analyticsLagMs: 0 },
    async ({ lab, group, queues, ingest }) => {
      const campaigns = await finishCampaigns(lab.sim, opts.runs, SIM_SHAPE(opts.runs));
      await ingest.ready();
      await queues.analytics.pause();
      const redisBefore = await redisUsedMemory(lab.redis.redis);

      group.start(WORKER_MAIN, workerEnv(lab, { WORKER_CONCURRENCY: concurrency }), opts.procs);
      for (const q of QUEUES)
        await waitForWorkers(lab.redis.redisUrl, lab.redis.prefix, q, opts.procs, group);

      const enqueueStart = performance.now();
      await ingest.deliverAll(campaigns, 50);
      const enqueueMs = performance.now() - enqueueStart;
      opts.log?.(
        `    ${opts.runs} events accepted by the ingest in ${(enqueueMs / 1000).toFixed(1)} s; draining with ${opts.procs} worker process(es)`,
      );

      const cpuStart = cpuOf(group);
      const redisPid = await redisServerPid(lab.redis.redis);
      const redisCpuStart = redisPid === undefined ? undefined : cpuSeconds(redisPid);
      const benchCpuStart = process.cpuUsage();
      const t0 = Date.now();
      await queues.analytics.resume();
      const table = lab.pg.table();
      const timeoutMs = opts.timeoutMs ?? Math.max(120_000, opts.runs * 40);
      const last = await waitFor(
        async () => {
          group.checkAlive('a worker process');
          const { rows } = await lab.pg.pool.query<{ n: number; last: Date | null }>(
            `select count(*)::int as n, max(written_at) as last from ${table}`,
          );
          const row = rows[0];
          return row && row.n >= opts.runs && row.last ? row.last : undefined;
        },
        { timeoutMs, intervalMs: 100, what: `${opts.runs} warehouse rows` },
      ).catch(async (err: unknown) => {
        throw new Error(
          `${String(err)}; failed jobs: ${await queues.failed()}\n${group.procs.map((p) => tail(p.output(), 10)).join('\n')}`,
        );
      });
      const deliveredMs = last.getTime() - t0;
      await waitFor(() => lab.notifications() >= opts.runs, {
        timeoutMs: 60_000,
        intervalMs: 50,
        what: 'every notification',
      });
      const notifiedMs = Date.now() - t0;
      const cpuEnd = cpuOf(group);
      const benchCpu = process.cpuUsage(benchCpuStart);
      const redisCpuEnd = redisPid === undefined ? undefined : cpuSeconds(redisPid);
      const failed = await queues.failed();
      if (failed > 0) throw new Error(`${failed} job(s) failed during the drain`);
      const redisAfter = await redisUsedMemory(lab.redis.redis);
      const genesysCalls = (await lab.sim.requestLog()).length;
      return {
        ...drainFigures(opts, concurrency, deliveredMs, { start: cpuStart, end: cpuEnd }),
        deliveredMs,
        notifiedMs,
        enqueuePerSecond: (opts.runs * 1000) / enqueueMs,
        redisBefore,
        redisAfter,
        benchCpuSeconds: (benchCpu.user + benchCpu.system) / 1e6,
        redisCpuSeconds: delta(redisCpuStart, redisCpuEnd),
        genesysCalls,
      };
    },
  );
}

export interface BaselineRun extends DrainFigures {
  /** From resume until the last notify job completed. */
  doneMs: number;
}

/** The floor: bare BullMQ no-op workers chaining three jobs per run, on the same Redis. */
export async function runNoopBaseline(opts: {
  runs: number;
  procs: number;
  concurrency?: number;
}): Promise<BaselineRun> {
  const concurrency = opts.concurrency ?? 10;
  const redis = await createRedisFixture('bench-noop');
  const group = new ProcessGroup();
  const queues = new QueueHandles(redis.redisUrl, redis.prefix);
  try {
    await queues.analytics.pause();
    group.start(
      benchPath('servers/noop-worker.ts'),
      {
        REDIS_URL: redis.redisUrl,
        QUEUE_PREFIX: redis.prefix,
        WORKER_CONCURRENCY: String(concurrency),
      },
      opts.procs,
    );
    for (const q of QUEUES)
      await waitForWorkers(redis.redisUrl, redis.prefix, q, opts.procs, group);
    const options = analyticsJobOptions as JobsOptions;
    for (let i = 0; i < opts.runs; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, opts.runs - i) }, () => {
        const campaignId = `bench-${randomUUID()}`;
        const runId = `run-${randomUUID()}`;
        return {
          name: 'run',
          // the same size and shape as the ingest's analytics job
          data: {
            runId,
            campaignId,
            status: 'completed',
            occurredAt: new Date().toISOString(),
            durationSeconds: 600,
            contactCount: 20,
            eventId: randomUUID(),
            shape: 'guide',
            receivedAt: new Date().toISOString(),
          },
          opts: { ...options, jobId: runId },
        };
      });
      await queues.analytics.addBulk(batch);
    }
    const cpuStart = cpuOf(group);
    const t0 = Date.now();
    await queues.analytics.resume();
    await waitFor(
      async () => {
        group.checkAlive('a no-op worker process');
        return (await queues.notify.getCompletedCount()) >= opts.runs;
      },
      {
        timeoutMs: Math.max(60_000, opts.runs * 20),
        intervalMs: 50,
        what: `${opts.runs} completed notify jobs`,
      },
    );
    const doneMs = Date.now() - t0;
    const cpuEnd = cpuOf(group);
    return {
      ...drainFigures(opts, concurrency, doneMs, { start: cpuStart, end: cpuEnd }),
      doneMs,
    };
  } finally {
    await group.stop();
    await queues.close();
    await redis.cleanup();
  }
}
