import { Worker, type ConnectionOptions, type Job, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import * as v from 'valibot';
import {
  ANALYTICS_QUEUE,
  NOTIFY_QUEUE,
  RECONCILE_QUEUE,
  WAREHOUSE_QUEUE,
  type QueueName,
} from '@wrapup/shared';
import { keyLayout, type KeyLayout, type RunStore } from '@wrapup/runs';
import type { Notifier } from './clients/notify/notifier';
import type { WarehouseSink } from './clients/sinks/sink';
import type { ComplianceChecker } from './compliance';
import type { Logger } from './logger';
import { createNotifyProcessor } from './processors/notify';
import { createWarehouseProcessor } from './processors/warehouse';
import {
  createQueues,
  JobRefusedError,
  redisConnection,
  type JobOptionOverrides,
  type Queues,
} from './queues';

/** Queues whose jobs carry the run they finish. */
const RUN_QUEUES: readonly QueueName[] = [ANALYTICS_QUEUE, WAREHOUSE_QUEUE];
const RunJobSchema = v.object({
  runId: v.string(),
  phase: v.optional(v.string()),
  revises: v.optional(v.unknown()),
});

export interface StartWorkersDeps {
  redisUrl: string;
  /** QUEUE_PREFIX. */
  prefix: string;
  /**
   * Where each area's keys live (a Redis Cluster's hash tags, see KeyLayout in @wrapup/runs);
   * default: everything under `prefix`, as on one Redis.
   */
  keys?: KeyLayout;
  /** BullMQ's connection (a shared Cluster client on a Redis Cluster); default: options for `redisUrl`. */
  connection?: ConnectionOptions;
  /** Jobs per queue in this process (WORKER_CONCURRENCY). */
  concurrency: number;
  sink: WarehouseSink;
  notifier: Notifier;
  runs: RunStore;
  notifyUrls: readonly string[];
  logger: Logger;
  /** The analytics stage; without it this process serves warehouse and notify only. */
  analyticsProcessor?: Processor;
  /** FINAL_REPORT_AFTER in ms: a delivered run's final re-check is due this long after (0: never). */
  finalReportAfterMs?: number;
  /** The reconciliation sweep (processors/reconcile); without it this process takes no sweeps. */
  reconcileProcessor?: Processor;
  /** A connection (maxRetriesPerRequest: null) for the kept-report key; one is opened here when absent. */
  redis?: Redis;
  /** Producer queues built by the caller (e.g. for the analytics processor); created here when absent. */
  queues?: Queues;
  /** Per-queue attempts/backoff overrides for queues created here (tests). */
  jobOptions?: JobOptionOverrides;
  /** Lock a job holds while processed; a killed worker's job is picked up after this. Default 30 s. */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. Default 30 s. */
  stalledIntervalMs?: number;
  /** Default `concurrency` for every queue; override per queue. */
  concurrencyPerQueue?: Partial<Record<QueueName, number>>;
  /** The warehouse stage's compliance check and configuration archive (compliance/). */
  compliance?: ComplianceChecker;
}

export interface RunningWorkers {
  queues: Queues;
  workers: Worker[];
  /** Stops taking jobs, lets running ones finish until `timeoutMs` (default 10 s), then disconnects. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * One BullMQ Worker per queue (analytics and reconcile only when their processor is given), all
 * logging their errors.
 */
export async function startWorkers(deps: StartWorkersDeps): Promise<RunningWorkers> {
  const connection: ConnectionOptions = deps.connection ?? redisConnection(deps.redisUrl);
  const keys = deps.keys ?? keyLayout(deps.prefix, false);
  const ownQueues = deps.queues === undefined;
  const queues = deps.queues ?? createQueues(connection, keys.queue, deps.jobOptions);
  const ownRedis = deps.redis === undefined;
  const redis =
    deps.redis ??
    new Redis(deps.redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  if (ownRedis) redis.on('error', (err) => deps.logger.warn({ err }, 'redis connection error'));

  const processors: [QueueName, Processor][] = [
    [
      WAREHOUSE_QUEUE,
      createWarehouseProcessor({
        sink: deps.sink,
        runs: deps.runs,
        queues,
        notifyUrls: deps.notifyUrls,
        logger: deps.logger,
        redis,
        // kept reports: deleted with the run by the stage script, so on the run trail's slot
        prefix: keys.keptReports,
        ...(deps.finalReportAfterMs !== undefined
          ? { finalReportAfterMs: deps.finalReportAfterMs }
          : {}),
        ...(deps.compliance && { compliance: deps.compliance }),
      }),
    ],
    [
      NOTIFY_QUEUE,
      createNotifyProcessor({
        notifier: deps.notifier,
        logger: deps.logger,
        notifyUrls: deps.notifyUrls,
        redis,
        prefix: keys.notifyMarks,
      }),
    ],
  ];
  if (deps.analyticsProcessor) processors.unshift([ANALYTICS_QUEUE, deps.analyticsProcessor]);
  if (deps.reconcileProcessor) processors.push([RECONCILE_QUEUE, deps.reconcileProcessor]);

  const workers = processors.map(([name, processor]) => {
    const worker = new Worker(name, processor, {
      connection,
      prefix: keys.queue(name),
      // One sweep at a time per process: a sweep lists every campaign, so two would only double it.
      concurrency:
        deps.concurrencyPerQueue?.[name] ?? (name === RECONCILE_QUEUE ? 1 : deps.concurrency),
      ...(deps.lockDurationMs !== undefined && { lockDuration: deps.lockDurationMs }),
      ...(deps.stalledIntervalMs !== undefined && { stalledInterval: deps.stalledIntervalMs }),
      // A job whose worker dies is retried from its stall; the default (1) would fail it for good
      // after a second crash without a 'failed' event, leaving its run unfinished.
      maxStalledCount: 5,
    });
    const log = deps.logger.child({ queue: name });
    worker.on('error', (err) => log.error({ err }, 'worker error'));
    worker.on('failed', (job: Job | undefined, err: Error) => {
      const attempts = job?.opts.attempts ?? 1;
      const final =
        job === undefined ||
        job.attemptsMade >= attempts ||
        err.name === 'UnrecoverableError' ||
        typeof job.finishedOn === 'number';
      log[final ? 'error' : 'warn'](
        { jobId: job?.id, attemptsMade: job?.attemptsMade, attempts, err },
        final ? 'job failed for good' : 'job attempt failed',
      );
      if (final && job && RUN_QUEUES.includes(name)) finishRun(job, err, log);
    });
    worker.on('stalled', (jobId: string) =>
      log.warn({ jobId }, 'job stalled (its worker died or blocked); retrying it'),
    );
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  deps.logger.info(
    { queues: processors.map(([n]) => n), concurrency: deps.concurrency },
    'workers started',
  );

  /**
   * A job that failed for good fails its run, unless the run is already final. The processors
   * record their own failures; this covers the failures they never see (the stall limit fails a
   * job without running its processor) or could not record (Redis gone during the last attempt),
   * which would otherwise leave the run in flight until its record expires.
   */
  function finishRun(job: Job, err: Error, log: Logger) {
    // A refused job (forged or malformed) must not touch the run it names.
    if (err instanceof JobRefusedError) return;
    const data = v.safeParse(RunJobSchema, job.data);
    if (!data.success) return;
    // A final re-check (and its write) records its own outcome on the run (finalOutcome); the run
    // itself was delivered, and may be replaying right now: never fail it from here.
    if (data.output.phase === 'final' || data.output.revises !== undefined) return;
    const { runId } = data.output;
    deps.runs
      .setStage(
        runId,
        'failed',
        { outcome: `${job.queueName} job failed`, lastError: err.message },
        { unlessFinal: true },
      )
      .catch((e: unknown) =>
        log.error(
          { jobId: job.id, runId, err: e },
          'could not mark the run of a failed job failed',
        ),
      );
  }

  let closing: Promise<void> | undefined;
  const close = (timeoutMs = 10_000) =>
    (closing ??= (async () => {
      const graceful = Promise.all(workers.map((w) => w.close()));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const result = await Promise.race([graceful.then(() => 'closed' as const), deadline]);
      clearTimeout(timer);
      if (result === 'timeout') {
        // A second close(true) would only return the pending graceful close, so cut the
        // connections instead: the jobs still running lose their locks and another worker
        // takes them over as stalled (every stage is safe to run twice).
        deps.logger.warn({ timeoutMs }, 'workers did not finish in time; disconnecting');
        await Promise.allSettled(workers.map((w) => w.disconnect()));
      }
      if (ownQueues) await queues.close();
      if (ownRedis) await redis.quit().catch(() => redis.disconnect());
    })());

  return { queues, workers, close };
}
