import { Redis } from 'ioredis';
import { runSteps, type Config, type ShutdownStep } from '@wrapup/shared';
import { RunStore } from '@wrapup/runs';
import { createGenesysClient, type GenesysClient } from './clients/genesys/client';
import { createInventory } from './clients/inventory/inventory';
import { createNotifier } from './clients/notify/notifier';
import { createWarehouseSink, type WarehouseSink } from './clients/sinks/factory';
import { RateLimiter } from './limiter';
import type { Logger } from './logger';
import { createAnalyticsProcessor } from './processors/analytics';
import { createQueues, redisConnection, type JobOptionOverrides, type Queues } from './queues';
import { startWorkers } from './workers';

export interface WorkerRuntimeOptions {
  logger: Logger;
  /** Test and benchmark knobs; production leaves them unset. */
  jobOptions?: JobOptionOverrides;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** A sink built by the caller (e.g. one shared embedded warehouse in `pnpm start`). */
  sink?: WarehouseSink;
}

export interface WorkerRuntime {
  queues: Queues;
  runs: RunStore;
  genesys: GenesysClient;
  sink: WarehouseSink;
  /**
   * The close as named steps for a shutdown helper to run under its deadline of `timeoutMs`: the
   * workers finish or hand back their jobs (all but the last second of it; a job waiting for a
   * Genesys rate-limit slot is handed back at once), then the queues, the
   * warehouse sink (when this runtime made it) and the Redis connection close.
   */
  closeSteps(timeoutMs?: number): ShutdownStep[];
  /** Runs `closeSteps` under one deadline; rejects when a step failed or the deadline passed. */
  close(timeoutMs?: number): Promise<void>;
}

/** Builds every client from the config and starts the three queue workers of one process. */
export async function startWorkerRuntime(
  config: Config,
  opts: WorkerRuntimeOptions,
): Promise<WorkerRuntime> {
  const { logger } = opts;
  if (!config.genesys.clientId || !config.genesys.clientSecret) {
    throw new Error('GENESYS_CLIENT_ID must be set (with GENESYS_CLIENT_SECRET) for the worker');
  }
  // The run trail, the rate limiter and the notify marks: commands issued by concurrent jobs in the
  // same event-loop turn go out in one write (BullMQ keeps its own connections).
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
  });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const runs = new RunStore(redis, {
    prefix: config.queuePrefix,
    dedupeTtlSeconds: config.webhook.dedupeTtlHours * 3600,
    retentionSeconds: config.runRetentionHours * 3600,
    startTtlSeconds: config.webhook.startTtlHours * 3600,
    clockSkewSeconds: config.events.maxFutureSeconds,
  });
  // Aborted when the close starts: jobs waiting for a Genesys rate-limit slot stop waiting and are
  // handed back at once (the analytics processor), instead of holding the close past its deadline.
  const shutdown = new AbortController();
  const limiter = new RateLimiter(redis, {
    prefix: config.queuePrefix,
    maxPerSecond: config.genesys.maxRps,
    burst: config.genesys.burst,
  });
  const genesys = createGenesysClient({
    apiUrl: config.genesys.apiUrl,
    loginUrl: config.genesys.loginUrl,
    clientId: config.genesys.clientId,
    clientSecret: config.genesys.clientSecret,
    limiter,
    signal: shutdown.signal,
    timeoutMs: config.genesys.timeoutMs,
    logger: logger.child({ component: 'genesys' }),
  });
  const inventory = createInventory(config.inventory, {
    genesys,
    timeoutMs: config.genesys.timeoutMs,
  });
  const ownSink = opts.sink === undefined;
  const sink = opts.sink ?? createWarehouseSink(config.warehouse, logger);
  try {
    await sink.init();
  } catch (err) {
    // The embedded warehouse failing to open (another process holds it) is a start-up error; a
    // remote warehouse that is down is an outage: start anyway, writes retry until it is back.
    if (sink.kind === 'embedded') throw err;
    logger.warn({ err, warehouse: sink.kind }, 'warehouse not reachable yet; writes will retry');
  }

  const queues = createQueues(
    redisConnection(config.redisUrl),
    config.queuePrefix,
    opts.jobOptions,
  );
  const workers = await startWorkers({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    sink,
    notifier: createNotifier(),
    runs,
    redis,
    notifyUrls: config.notifyUrls,
    logger,
    queues,
    lockDurationMs: opts.lockDurationMs ?? config.workerLockDurationMs,
    stalledIntervalMs: opts.stalledIntervalMs ?? config.workerLockDurationMs,
    analyticsProcessor: createAnalyticsProcessor({
      genesys,
      inventory,
      runs,
      warehouseQueue: queues.warehouse,
      notifyQueue: queues.notify,
      notifyUrls: config.notifyUrls,
      analytics: config.analytics,
      logger,
      shutdown: shutdown.signal,
    }),
  });

  const closeSteps = (timeoutMs = config.shutdownTimeoutMs): ShutdownStep[] => [
    {
      name: 'workers',
      run: () => {
        // Stop taking jobs first, then wake the ones waiting for a limiter slot.
        const closing = workers.close(timeoutMs - Math.min(1_000, timeoutMs / 2));
        shutdown.abort(new Error('worker shutting down'));
        return closing;
      },
    },
    { name: 'queues', run: () => queues.close() },
    ...(ownSink ? [{ name: 'warehouse sink', run: () => sink.close() }] : []),
    { name: 'redis', run: () => redis.quit().catch(() => redis.disconnect()) },
  ];
  return {
    queues,
    runs,
    genesys,
    sink,
    closeSteps,
    async close(timeoutMs = config.shutdownTimeoutMs) {
      const outcome = await runSteps(closeSteps(timeoutMs), { deadlineMs: timeoutMs, logger });
      if (outcome === 'done') return;
      if (outcome === 'deadline') redis.disconnect();
      throw new Error(
        outcome === 'deadline'
          ? `worker close took over ${timeoutMs} ms`
          : 'worker close: a step failed',
      );
    },
  };
}
