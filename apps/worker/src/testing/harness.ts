import { Queue } from 'bullmq';
import { pino } from 'pino';
import { RunStore } from '@wrapup/runs';
import { startSimulator, type SimOptions, type Simulator } from '@wrapup/genesys-sim';
import {
  ANALYTICS_QUEUE,
  loadConfig,
  parseCampaignEvent,
  type AnalyticsJob,
  type CampaignFinished,
  type Config,
  type RunRecord,
} from '@wrapup/shared';
import {
  openPipelineBackends,
  waitFor,
  type JsonReceiver,
  type PgFixture,
  type RedisFixture,
} from '@wrapup/shared/testing';
import { startWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOptions } from '..';

export interface Pipeline {
  sim: Simulator;
  redis: RedisFixture;
  pg: PgFixture;
  config: Config;
  env: Record<string, string>;
  runtime: WorkerRuntime | undefined;
  /** Stands in for NOTIFY_URLS. */
  receiver: JsonReceiver;
  /** The producer side's run store and analytics queue (independent of any worker). */
  runs: RunStore;
  analytics: Queue<AnalyticsJob>;
  /** Does what the ingest does for a finish: intake in the run store, then the analytics job. */
  finish(event: Partial<CampaignFinished> & { campaignId: string }): Promise<string>;
  waitForRun(runId: string, timeoutMs?: number): Promise<RunRecord>;
  rows(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startPipeline(
  opts: {
    sim?: SimOptions;
    env?: Record<string, string>;
    startWorker?: boolean;
    runtime?: Partial<WorkerRuntimeOptions>;
  } = {},
): Promise<Pipeline> {
  const sim = await startSimulator({
    demoCampaigns: false,
    rateLimitPerMinute: 100_000,
    ...opts.sim,
  });
  const backends = await openPipelineBackends('pipe');
  const { redis, pg, receiver } = backends;
  const env: Record<string, string> = {
    ...backends.env,
    LOG_LEVEL: 'silent',
    ...sim.wrapupEnv,
    GENESYS_MAX_RPS: '200',
    GENESYS_BURST: '10',
    ANALYTICS_RETRY_DELAY_MS: '150',
    // generous: the truthful simulator posts the last after-call work seconds after the finish
    ANALYTICS_MAX_WAIT_MS: '15000',
    ANALYTICS_SETTLE_MS: '300',
    WORKER_CONCURRENCY: '20',
    ...opts.env,
  };
  const config = loadConfig(env);
  const runtime =
    opts.startWorker === false
      ? undefined
      : await startWorkerRuntime(config, { logger: pino({ level: 'silent' }), ...opts.runtime });

  // The producer side (what apps/ingest does), on its own connections.
  const runs = new RunStore(redis.redis, {
    prefix: redis.prefix,
    dedupeTtlSeconds: 3600,
    retentionSeconds: 3600,
    startTtlSeconds: 3600,
  });
  const analytics = new Queue<AnalyticsJob>(ANALYTICS_QUEUE, {
    connection: { url: redis.redisUrl },
    prefix: redis.prefix,
  });

  return {
    sim,
    redis,
    pg,
    config,
    env,
    runtime,
    receiver,
    runs,
    analytics,
    async finish(e) {
      const occurredAt = e.occurredAt ?? new Date().toISOString();
      const status = (e.status ?? 'completed') as 'completed' | 'stopped';
      const eventId = `evt-${e.campaignId}-${occurredAt}`;
      const intake = await runs.intake({
        eventId,
        campaignId: e.campaignId,
        status,
        occurredAt,
        now: new Date().toISOString(),
      });
      if (intake.outcome === 'duplicate' && !intake.needsEnqueue) return intake.runId;
      const job: AnalyticsJob = {
        runId: intake.runId,
        campaignId: e.campaignId,
        status,
        occurredAt,
        eventId,
        shape: e.shape ?? 'guide',
        receivedAt: new Date().toISOString(),
        ...(e.durationSeconds !== undefined && { durationSeconds: e.durationSeconds }),
        ...(e.contactCount !== undefined && { contactCount: e.contactCount }),
      };
      await analytics.add('run', job, {
        jobId: intake.runId,
        attempts: 3,
        backoff: { type: 'fixed', delay: 100 },
      });
      return intake.runId;
    },
    async waitForRun(runId, timeoutMs = 25_000) {
      return waitFor(
        async () => {
          const run = await runs.get(runId);
          return run && ['delivered', 'incomplete', 'rejected', 'failed'].includes(run.stage)
            ? run
            : undefined;
        },
        { timeoutMs, what: `run ${runId} to finish` },
      );
    },
    async rows() {
      const res = await pg.pool
        .query(`select * from ${pg.table()} order by campaign_id`)
        .catch(() => ({ rows: [] as Record<string, unknown>[] }));
      return res.rows as Record<string, unknown>[];
    },
    async close() {
      await runtime?.close(2_000);
      await analytics.close();
      await sim.close();
      await backends.close();
    },
  };
}

/** Parses a payload the way ingest does (for timezone cases). */
export function parseOrThrow(body: unknown, eventTimezone = 'UTC'): CampaignFinished {
  const result = parseCampaignEvent(body, { eventTimezone });
  if (result.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(result)}`);
  return result.event;
}
