import { ANALYTICS_QUEUE, runSteps, type Config, type ShutdownStep } from '@wrapup/shared';
import { checkPrepareAdd, redisTopology, RunStore } from '@wrapup/runs';
import { batchedGenesys, createBatchSender } from './batch/batched-genesys';
import { BatchCoordinator } from './batch/coordinator';
import { createGenesysClient, type GenesysClient } from './clients/genesys/client';
import { createInventory } from './clients/inventory/inventory';
import { createNotifier } from './clients/notify/notifier';
import { createWarehouseSink, type WarehouseSink } from './clients/sinks/factory';
import { createComplianceChecker } from './compliance';
import { RateLimiter } from './limiter';
import type { Logger } from './logger';
import { createAnalyticsProcessor } from './processors/analytics';
import { createReconcileProcessor, scheduleReconcile } from './processors/reconcile';
import { bullmqConnection, createQueues, type JobOptionOverrides, type Queues } from './queues';
import {
  startNotificationSource,
  type NotificationSource,
  type NotificationSourceOptions,
} from './sources/notification-source';
import { startWorkers } from './workers';

/** How often the Notification API listener lists campaigns itself when the sweep is off. */
const RESYNC_WITHOUT_SWEEP_MS = 10 * 60_000;

export interface WorkerRuntimeOptions {
  logger: Logger;
  /** Test and benchmark knobs; production leaves them unset. */
  jobOptions?: JobOptionOverrides;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** A sink built by the caller (e.g. one shared embedded warehouse in `pnpm start`). */
  sink?: WarehouseSink;
  /** The Notification API listener's reconnect/retry backoff (tests); default 500 ms to 30 s. */
  eventSourceBackoff?: NotificationSourceOptions['backoff'];
  /** With the sweep off, how often the listener lists campaigns itself (tests); default 10 min. */
  eventSourceResyncMs?: number;
}

export interface WorkerRuntime {
  queues: Queues;
  runs: RunStore;
  genesys: GenesysClient;
  sink: WarehouseSink;
  /**
   * The built-in Notification API listener, with GENESYS_EVENT_SOURCE=websocket (every process runs
   * one; the lease holder listens): `status()` says whether this process leads, and its channels.
   */
  eventSource: NotificationSource | undefined;
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
  // REDIS_URL, or a Redis Cluster (REDIS_CLUSTER_NODES) with hash-tagged keys (redis-topology.ts)
  const topology = redisTopology(config);
  const redis = topology.connect('worker');
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const runs = new RunStore(redis, {
    prefix: topology.keys.runs,
    dedupeTtlSeconds: config.webhook.dedupeTtlHours * 3600,
    retentionSeconds: config.runRetentionHours * 3600,
    startTtlSeconds: config.webhook.startTtlHours * 3600,
    clockSkewSeconds: config.events.maxFutureSeconds,
  });
  // Aborted when the close starts: jobs waiting for a Genesys rate-limit slot stop waiting and are
  // handed back at once (the analytics processor), instead of holding the close past its deadline.
  const shutdown = new AbortController();
  const limiter = new RateLimiter(redis, {
    prefix: topology.keys.limiter,
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
    // one OAuth token for every worker process, encrypted in Redis (on the limiter's slot)
    sharedToken: { redis, prefix: topology.keys.limiter },
  });
  // ANALYTICS_BATCH: the analytics stage's campaign lookups, progress and aggregates checks go
  // through one Redis-coordinated batch shared by every worker process (batch/coordinator.ts).
  const batchSubscriber = config.analytics.batch ? topology.connect('subscriber') : undefined;
  batchSubscriber?.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const batch = batchSubscriber
    ? new BatchCoordinator({
        redis,
        subscriber: batchSubscriber,
        prefix: topology.keys.batch,
        windowMs: config.analytics.batchWindowMs,
        send: createBatchSender(genesys),
        logger: logger.child({ component: 'analytics-batch' }),
      })
    : undefined;
  const analyticsGenesys = batch ? batchedGenesys(genesys, batch) : genesys;
  const inventory = createInventory(config.inventory, {
    genesys: analyticsGenesys,
    timeoutMs: config.genesys.timeoutMs,
  });
  const compliance = createComplianceChecker({
    genesys,
    runs,
    redis,
    prefix: config.queuePrefix,
    abandonRateLimit: config.abandonRateLimit,
    logger,
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

  const bullmq = bullmqConnection(topology, config.redisUrl);
  const queues = createQueues(bullmq.connection, topology.keys.queue, opts.jobOptions);
  // the listener's intake adds jobs in its Lua round trip: refuse to start if BullMQ changed
  if (config.eventSource.kind === 'websocket') checkPrepareAdd(queues.analytics);
  // The sweep's scheduler: one per queue whatever the number of workers (an upsert by id), removed
  // when RECONCILE_EVERY_MINUTES is 0.
  await scheduleReconcile(queues.reconcile, config.reconcileEveryMs, logger);
  const workers = await startWorkers({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    keys: topology.keys,
    connection: bullmq.connection,
    concurrency: config.workerConcurrency,
    // a job waiting in a batch holds its slot: the analytics queue takes ANALYTICS_CONCURRENCY
    ...(batch && { concurrencyPerQueue: { [ANALYTICS_QUEUE]: config.analytics.concurrency } }),
    sink,
    // with PUBLIC_URL every notification links to its report page (Slack gets blocks)
    notifier: createNotifier({ publicUrl: config.publicUrl }),
    runs,
    redis,
    notifyUrls: config.notifyUrls,
    logger,
    queues,
    finalReportAfterMs: config.finalReportAfterMs,
    // the compliance check's configuration calls: the same client, token and rate limiter
    compliance,
    lockDurationMs: opts.lockDurationMs ?? config.workerLockDurationMs,
    stalledIntervalMs: opts.stalledIntervalMs ?? config.workerLockDurationMs,
    analyticsProcessor: createAnalyticsProcessor({
      genesys: analyticsGenesys,
      // the campaign the run's validation looked up serves its compliance check too
      rememberCampaign: (campaign) => compliance.remember(campaign),
      batched: batch !== undefined,
      inventory,
      runs,
      warehouseQueue: queues.warehouse,
      notifyQueue: queues.notify,
      notifyUrls: config.notifyUrls,
      analytics: config.analytics,
      logger,
      shutdown: shutdown.signal,
    }),
    reconcileProcessor: createReconcileProcessor({
      genesys,
      runs,
      analytics: queues.analytics,
      redis,
      // its baseline and the campaign feed: with the listener's keys
      prefix: topology.keys.events,
      triggerStatuses: config.webhook.triggerStatuses,
      eventTimezone: config.eventTimezone,
      events: config.events,
      maxWindowDays: config.analytics.maxWindowDays,
      retentionSeconds: config.runRetentionHours * 3600,
      logger,
    }),
  });

  // GENESYS_EVENT_SOURCE=websocket: every process tries for the lease; the holder subscribes every
  // campaign's notification topic and accepts its messages in-process (no webhook hop).
  const eventSource =
    config.eventSource.kind === 'websocket'
      ? startNotificationSource({
          redis,
          // the lease fences the intake script: on the run trail's slot
          prefix: topology.keys.events,
          genesys,
          accept: {
            runs,
            analytics: queues.analytics,
            triggerStatuses: config.webhook.triggerStatuses,
            eventTimezone: config.eventTimezone,
            events: config.events,
            maxWindowDays: config.analytics.maxWindowDays,
            now: Date.now,
          },
          leaseMs: config.eventSource.leaseMs,
          topicsPerChannel: config.eventSource.topicsPerChannel,
          heartbeatTimeoutMs: config.eventSource.heartbeatTimeoutMs,
          // with no sweep, the leader lists the campaigns itself every ten minutes
          resyncEveryMs:
            config.reconcileEveryMs === 0
              ? (opts.eventSourceResyncMs ?? RESYNC_WITHOUT_SWEEP_MS)
              : 0,
          logger: logger.child({ component: 'event-source' }),
          ...(opts.eventSourceBackoff ? { backoff: opts.eventSourceBackoff } : {}),
        })
      : undefined;

  const closeSteps = (timeoutMs = config.shutdownTimeoutMs): ShutdownStep[] => [
    // first: stop forwarding and hand the lease over while Redis is still open
    ...(eventSource ? [{ name: 'event source', run: () => eventSource.stop() }] : []),
    {
      name: 'workers',
      run: () => {
        // Stop taking jobs first, then wake the ones waiting for a limiter slot.
        const closing = workers.close(timeoutMs - Math.min(1_000, timeoutMs / 2));
        shutdown.abort(new Error('worker shutting down'));
        // jobs waiting for a batch answer are handed back like those waiting for a limiter slot
        void batch?.close();
        return closing;
      },
    },
    { name: 'queues', run: () => queues.close() },
    ...(ownSink ? [{ name: 'warehouse sink', run: () => sink.close() }] : []),
    { name: 'redis', run: () => redis.quit().catch(() => redis.disconnect()) },
    // a Redis Cluster: the Cluster client the queues and workers shared (nothing for one Redis)
    { name: 'bullmq connection', run: () => bullmq.close() },
    ...(batchSubscriber
      ? [
          {
            name: 'batch channel',
            run: () =>
              batchSubscriber.quit().then(
                () => undefined,
                () => batchSubscriber.disconnect(),
              ),
          },
        ]
      : []),
  ];
  return {
    queues,
    runs,
    genesys,
    sink,
    eventSource,
    closeSteps,
    async close(timeoutMs = config.shutdownTimeoutMs) {
      const outcome = await runSteps(closeSteps(timeoutMs), { deadlineMs: timeoutMs, logger });
      if (outcome === 'done') return;
      if (outcome === 'deadline') {
        redis.disconnect();
        batchSubscriber?.disconnect();
      }
      throw new Error(
        outcome === 'deadline'
          ? `worker close took over ${timeoutMs} ms`
          : 'worker close: a step failed',
      );
    },
  };
}
